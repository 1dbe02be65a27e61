package io.hnswseg.spark;

import java.io.Serializable;

/**
 * What crosses the shuffle: up to {@link #CAPACITY} vectors bound for one partition, as two primitive
 * arrays, so Kryo moves a block in two bulk copies and no object exists per vector. A block of ids only
 * (no vectors) goes to a duplicate-id check instead of a segment.
 */
final class VectorBlock implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Vectors per block: large enough to amortise the per-record cost, small enough to stream. */
    static final int CAPACITY = 1024;

    int count;
    long[] ids;
    /** {@code count x dimension}, row-major; null in an id-only block. */
    float[] vectors;
    /** In an id-only block, the sum of its rows' {@link Sample#fingerprint}s (their vectors stay behind). */
    long fingerprint;
    /**
     * Of its vectors, how many are a second copy sent near a boundary ({@code --replication}). Counted here, not in an
     * accumulator: Spark applies a map task's accumulator updates again when it runs the task again (a lost map
     * output), but a shuffle keeps one output per map task, so the reducers count each replica once.
     */
    int replicas;
    /**
     * Rows the map task that sent this block skipped as invalid ({@code --on-invalid skip}), counted on one block of
     * each task, for the same reason.
     */
    long skipped;

    VectorBlock() {
    }

    VectorBlock(int dimension, boolean withVectors) {
        ids = new long[CAPACITY];
        vectors = withVectors ? new float[CAPACITY * dimension] : null;
    }

    boolean full() {
        return count == ids.length;
    }

    /** The block trimmed to its count, ready to send. */
    VectorBlock trimmed(int dimension) {
        if (count == ids.length) {
            return this;
        }
        VectorBlock t = new VectorBlock();
        t.count = count;
        t.fingerprint = fingerprint;
        t.replicas = replicas;
        t.skipped = skipped;
        t.ids = java.util.Arrays.copyOf(ids, count);
        t.vectors = vectors == null ? null : java.util.Arrays.copyOf(vectors, count * dimension);
        return t;
    }
}
