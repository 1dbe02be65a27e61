package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;

/** Scores nodes whose float vectors sit in one array, against a query given as an array slice. */
final class FloatScorer implements NodeScorer {

    private final Metric metric;
    private final float[] vectors;
    private final int dimension;
    private float[] query;
    private int queryOffset;

    FloatScorer(Metric metric, float[] vectors, int dimension) {
        this.metric = metric;
        this.vectors = vectors;
        this.dimension = dimension;
    }

    /** Points the scorer at a new query; returns this, so one scorer serves a thread's whole build. */
    FloatScorer reset(float[] query, int queryOffset) {
        this.query = query;
        this.queryOffset = queryOffset;
        return this;
    }

    /**
     * Touched values land here, so the JIT cannot drop the loads. Touching the first cache line of every
     * vector of a batch up front puts all their misses in flight at once (Java has no prefetch
     * instruction); the hardware prefetcher then streams the rest of each vector.
     */
    private float sink;

    @Override
    public void prefetch(int[] nodes, int count) {
        float[] v = vectors;
        int d = dimension;
        float s = 0;
        for (int i = 0; i < count; i++) {
            s += v[nodes[i] * d];
        }
        sink = s;
    }

    @Override
    public float score(int node) {
        return metric.distance(query, queryOffset, vectors, node * dimension, dimension);
    }

    @Override
    public void score4(int n0, int n1, int n2, int n3, float[] out) {
        int d = dimension;
        metric.distance4(query, queryOffset, vectors, n0 * d, n1 * d, n2 * d, n3 * d, d, out);
    }
}
