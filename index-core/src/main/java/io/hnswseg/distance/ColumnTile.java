package io.hnswseg.distance;

/**
 * Up to {@link #GROUP} vectors stored column by column, scored against one query at a time: the brute-force
 * scan of an exact search. A row kernel ends every distance with a reduction of its lanes, which JDK 17
 * performs one lane after another (15 dependent adds for 16 lanes, more than the row's own arithmetic at
 * 128 dimensions); in a column tile each lane is a different row, so a query's component {@code d} is
 * broadcast once and one multiply-add per vector of rows accumulates sixteen distances, with nothing to
 * reduce. Filling a tile costs about as much as scoring it once, so it pays when many queries score the same
 * tile (an exact search over a batch: 1,000 sift queries over 62,500 rows in 0.45-0.46 s against 1.18-1.25 s
 * with the row kernels); a lone query pays about 1.4x, and is scanned the same way so that it gets the answer
 * it would get in a batch. Each lane adds its row's terms in dimension order, so distances may differ from the row kernels'
 * in the last bits (near-ties can swap; integer data such as SIFT's sums exactly either way).
 */
public final class ColumnTile {

    /**
     * Rows a tile holds: 64 rows of 128 floats (32 KB) fit in L1 while the queries of a batch score them one
     * after another (tiles of 256 rows measured within the noise of these).
     */
    public static final int GROUP = 64;

    /** Copies row {@code row} of a scanned collection into {@code into[0..dimension)}. */
    public interface Rows {
        void copy(int row, float[] into);
    }

    /**
     * The exact nearest of rows {@code 0..count-1} to each of {@code queries} (validated, and normalised for
     * cosine), by one pass over the rows in tiles: into {@code nearest[q]} their row numbers, nearest first, and
     * into {@code distances[q]} their distances, as many as those arrays hold (at most {@code count}). Ties keep
     * row order.
     */
    public static void scan(Metric metric, int dimension, int count, Rows rows, float[][] queries, int[][] nearest,
                            float[][] distances) {
        ColumnTile tile = new ColumnTile(metric, dimension);
        float[] row = new float[dimension];
        int[] filled = new int[queries.length];
        for (int first = 0; first < count; first += GROUP) {
            int end = Math.min(count, first + GROUP);
            tile.clear();
            for (int r = first; r < end; r++) {
                rows.copy(r, row);
                tile.add(row, 0);
            }
            for (int q = 0; q < queries.length; q++) {
                float[] d = tile.distances(queries[q]);
                for (int r = first; r < end; r++) {
                    filled[q] = NearestList.insert(nearest[q], distances[q], filled[q], d[r - first], r);
                }
            }
        }
    }

    private final Metric metric;
    private final int dimension;
    private final float[] columns;
    private final float[] out = new float[GROUP];
    private int rows;

    private ColumnTile(Metric metric, int dimension) {
        this.metric = metric;
        this.dimension = dimension;
        this.columns = new float[dimension * GROUP];
    }

    /** Empties the tile. */
    private void clear() {
        rows = 0;
    }

    /** Appends {@code vector[offset..offset+dimension)} as the next row; the tile must not be full. */
    private void add(float[] vector, int offset) {
        int r = rows++;
        for (int d = 0, at = r; d < dimension; d++, at += GROUP) {
            columns[at] = vector[offset + d];
        }
    }

    /**
     * The distances ({@link Metric#distance}) from {@code query} (validated, and normalised for cosine) to
     * each row, in row order, in an array the next call overwrites; entries past the rows held mean nothing.
     */
    private float[] distances(float[] query) {
        boolean l2 = metric == Metric.L2;
        VectorKernels.columns(query, columns, GROUP, rows, dimension, l2, out);
        if (!l2) {
            for (int r = 0; r < rows; r++) {
                out[r] = metric.ofDot(out[r]);
            }
        }
        return out;
    }
}
