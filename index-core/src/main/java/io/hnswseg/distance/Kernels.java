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
     * {@code sum(w[d] * codes[offset + d])} over {@code d < dim}, in exact integer arithmetic: the one kernel
     * that scores a query against a row of int8 codes, for every metric (a {@link CodeQuery} folds the query,
     * the quantizer and the metric into integer weights {@code w}, so scoring a row costs one widen, one
     * multiply and one add per component). Integers, because the lanes of an int vector add up in any order (a
     * tree of a few instructions) where JDK 17 adds float lanes one after another, and the sum is the same
     * whatever the kernel. Int lanes add up blocks of {@link #CODE_BLOCK} components, whose sums then add up
     * in a long: the caller keeps {@code sum(|w|) * 128} over any block within an int. When {@code w} holds
     * zeros past {@code dim} and {@code codes} holds {@link #CODE_PADDING} bytes past the row, the SIMD kernels
     * run whole vectors over the last partial one; otherwise they finish it one component at a time.
     */
    long dotToCodes(int[] w, byte[] codes, int offset, int dim);

    /** {@link #dotToCodes} for four rows of codes at once, sharing the weight loads; the sums go to {@code out} as floats. */
    void dotToCodes4(int[] w, byte[] codes, int o0, int o1, int o2, int o3, int dim, float[] out);

    /**
     * Components per block of {@link #dotToCodes}: a multiple of every vector length, and as many as most
     * embeddings have, so that their weights get at least 15 bits and one block.
     */
    int CODE_BLOCK = 512;

    /**
     * {@code sum(w[d] * a[ao + d] * b[bo + d])}: two rows of codes with per-dimension weights (the squared
     * scales), from which {@link Quantizer} derives the distance of two coded rows. Padding as in
     * {@link #dotToCodes}, for both rows.
     */
    float codeDot(byte[] a, int ao, byte[] b, int bo, float[] w, int dim);

    /**
     * Bytes an array of codes keeps after its last row, and zero weights a weight array keeps after
     * {@code dim}, so a kernel may read a whole vector of up to 64 lanes past a row's end: what it reads
     * there (the next row, or the padding) meets zero weights.
     */
    int CODE_PADDING = 64;

    /**
     * Squared L2 ({@code l2}) or dot products from {@code q[0..dim)} to rows {@code 0..rows-1} of a tile held
     * column by column (component {@code d} of row {@code r} at {@code columns[d * width + r]}), into
     * {@code out[0..rows)}; the kernels may write {@code out} past {@code rows} up to {@code width}. No lane
     * reduction per row: each lane of an accumulator is a row of its own (see {@link ColumnTile}).
     */
    void columns(float[] q, float[] columns, int width, int rows, int dim, boolean l2, float[] out);

    String description();
}
