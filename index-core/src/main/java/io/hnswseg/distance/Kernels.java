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

    String description();
}
