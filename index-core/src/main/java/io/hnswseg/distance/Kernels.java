package io.hnswseg.distance;

/**
 * The primitive float32 kernels. Two implementations exist (SIMD and scalar); exactly one is loaded per
 * JVM, so every call site through {@link VectorKernels} stays monomorphic and inlines.
 */
interface Kernels {

    float squaredL2(float[] a, int aOffset, float[] b, int bOffset, int dim);

    float dot(float[] a, int aOffset, float[] b, int bOffset, int dim);

    /**
     * Squared L2 from one query to four rows of {@code data}, loading the query once per lane block:
     * the graph search scores a node's neighbours in groups, and the query load is the shared cost.
     */
    void squaredL2x4(float[] q, int qOffset, float[] data, int o0, int o1, int o2, int o3, int dim, float[] out);

    /** Dot products of one query with four rows of {@code data}; see {@link #squaredL2x4}. */
    void dotx4(float[] q, int qOffset, float[] data, int o0, int o1, int o2, int o3, int dim, float[] out);

    /**
     * Squared L2 between two rows of int8 codes, each component scaled by {@code scale[d]} (the offsets of
     * the quantizer cancel out of a difference). The rows may lie in different arrays (pages).
     */
    float squaredL2Codes(byte[] a, int aOffset, byte[] b, int bOffset, float[] scale, int dim);

    /** Dot product of two rows of int8 codes, dequantized as {@code offset[d] + scale[d] * code}. */
    float dotCodes(byte[] a, int aOffset, byte[] b, int bOffset, float[] scale, float[] offset, int dim);

    /** Squared L2 from a float query to one row of codes, dequantized as {@code offset[d] + scale[d] * code}. */
    float squaredL2ToCodes(float[] q, byte[] codes, int offset, float[] scale, float[] shift, int dim);

    /** {@link #squaredL2ToCodes} to four rows of codes at once. */
    void squaredL2ToCodes4(float[] q, byte[] codes, int o0, int o1, int o2, int o3, float[] scale, float[] shift, int dim,
                           float[] out);

    /** {@code sum(qs[d] * code[d])}: with {@code qs = q * scale} this is the code-dependent part of a dot product. */
    float dotToCodes(float[] qs, byte[] codes, int offset, int dim);

    /** {@link #dotToCodes} to four rows of codes at once. */
    void dotToCodes4(float[] qs, byte[] codes, int o0, int o1, int o2, int o3, int dim, float[] out);

    String description();
}
