package io.hnswseg.distance;

/**
 * A float query scored against int8 codes (asymmetric: only the stored side is quantized). For the dot
 * metrics the query is premultiplied by the scales once, so scoring a row is one FMA per component.
 * One per query; not thread-safe to share across queries running at once (it is immutable, so it is).
 */
public final class CodeQuery {

    private final Metric metric;
    private final float[] query;
    private final float[] scale;
    private final float[] offset;
    /** For IP/cosine: {@code query * scale}, and the code-independent part {@code sum(query * offset)}. */
    private final float[] scaledQuery;
    private final float constant;

    CodeQuery(Quantizer quantizer, float[] query) {
        this.metric = quantizer.metric();
        this.query = query;
        this.scale = quantizer.scaleRef();
        this.offset = quantizer.offsetRef();
        if (metric == Metric.L2) {
            scaledQuery = null;
            constant = 0;
        } else {
            scaledQuery = new float[query.length];
            float c = 0;
            for (int d = 0; d < query.length; d++) {
                scaledQuery[d] = query[d] * scale[d];
                c += query[d] * offset[d];
            }
            constant = c;
        }
    }

    /** Approximate distance to the row of codes at {@code codes[offset..]}, in {@link Metric#distance} units. */
    public float distance(byte[] codes, int rowOffset) {
        int dim = query.length;
        return metric == Metric.L2
                ? VectorKernels.squaredL2ToCodes(query, codes, rowOffset, scale, offset, dim)
                : 1f - constant - VectorKernels.dotToCodes(scaledQuery, codes, rowOffset, dim);
    }

    /** Approximate distances to four rows of codes into {@code out[0..3]}. */
    public void distance4(byte[] codes, int o0, int o1, int o2, int o3, float[] out) {
        int dim = query.length;
        if (metric == Metric.L2) {
            VectorKernels.squaredL2ToCodes4(query, codes, o0, o1, o2, o3, scale, offset, dim, out);
        } else {
            VectorKernels.dotToCodes4(scaledQuery, codes, o0, o1, o2, o3, dim, out);
            for (int j = 0; j < 4; j++) {
                out[j] = 1f - constant - out[j];
            }
        }
    }
}
