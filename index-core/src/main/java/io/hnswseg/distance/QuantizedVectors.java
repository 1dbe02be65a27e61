package io.hnswseg.distance;

/**
 * An int8 copy of a set of vectors ({@link Quantizer}): a quarter of the bytes of the float32 vectors, so
 * far more of the working set stays in cache, and graph construction and search are memory-bound. The
 * builder and each search walk the graph on these codes; a search then re-ranks its beam with the float
 * vectors, so the distances it returns are exact.
 */
public final class QuantizedVectors {

    private final Quantizer quantizer;
    private final Metric metric;
    private final int dimension;
    private final byte[] codes;
    private final float[] scale;
    private final float[] offset;

    /** Fits a quantizer on rows {@code 0..rows-1} of {@code data} (row-major) and encodes them. */
    public QuantizedVectors(float[] data, int rows, int dimension, Metric metric) {
        this.quantizer = Quantizer.fit(data, rows, dimension, metric);
        this.metric = metric;
        this.dimension = dimension;
        this.scale = quantizer.scaleRef();
        this.offset = quantizer.offsetRef();
        this.codes = quantizer.encode(data, rows);
    }

    public Quantizer quantizer() {
        return quantizer;
    }

    /** Row {@code row} decoded to floats ({@code offset + scale * code}) into {@code into}, which is returned. */
    public float[] decode(int row, float[] into) {
        int base = row * dimension;
        for (int d = 0; d < dimension; d++) {
            into[d] = offset[d] + scale[d] * codes[base + d];
        }
        return into;
    }

    /** Copies the codes of {@code rows} rows from {@code fromRow} into {@code into[at..]}. */
    public void copyRows(int fromRow, int rows, byte[] into, int at) {
        System.arraycopy(codes, fromRow * dimension, into, at, rows * dimension);
    }

    /** Approximate distance from a float query to row {@code row}. */
    public float distance(CodeQuery query, int row) {
        return query.distance(codes, row * dimension);
    }

    /** Approximate distances from a float query to four rows into {@code out[0..3]}. */
    public void distance4(CodeQuery query, int r0, int r1, int r2, int r3, float[] out) {
        int d = dimension;
        query.distance4(codes, r0 * d, r1 * d, r2 * d, r3 * d, out);
    }

    /** Approximate distance between rows {@code a} and {@code b}, in the units of {@link Metric#distance}. */
    public float distance(int a, int b) {
        int d = dimension;
        return metric == Metric.L2
                ? VectorKernels.squaredL2Codes(codes, a * d, b * d, scale, d)
                : 1f - VectorKernels.dotCodes(codes, a * d, b * d, scale, offset, d);
    }

    /**
     * Loads the first byte of each row, so their cache misses overlap; see the searcher's batches. Returns
     * a value the caller keeps in a field of its own (this object is shared between threads, and a write
     * here would bounce its cache line between cores), so the JIT cannot drop the loads.
     */
    public int touch(int[] rows, int count) {
        int s = 0;
        for (int i = 0; i < count; i++) {
            s += codes[rows[i] * dimension];
        }
        return s;
    }

    /** Bytes held. */
    public long bytes() {
        return codes.length + 8L * dimension;
    }
}
