package io.hnswseg.hnsw;

import io.hnswseg.distance.FloatPages;
import io.hnswseg.distance.Metric;

/** Scores nodes whose float vectors sit in pages (one array, for any graph under 2^30 floats), against a query given as an array slice. */
final class FloatScorer implements NodeScorer {

    private final Metric metric;
    private final FloatPages vectors;
    private final int dimension;
    private float[] query;
    private int queryOffset;

    FloatScorer(Metric metric, FloatPages vectors) {
        this.metric = metric;
        this.vectors = vectors;
        this.dimension = vectors.dimension();
    }

    /** Points the scorer at node {@code node}'s own vector as the query. */
    FloatScorer resetToNode(int node) {
        return reset(vectors.page(node), vectors.offset(node));
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
        FloatPages v = vectors;
        float s = 0;
        for (int i = 0; i < count; i++) {
            s += v.page(nodes[i])[v.offset(nodes[i])];
        }
        sink = s;
    }

    @Override
    public float score(int node) {
        return metric.distance(query, queryOffset, vectors.page(node), vectors.offset(node), dimension);
    }

    @Override
    public void score4(int n0, int n1, int n2, int n3, float[] out) {
        FloatPages v = vectors;
        if (v.samePage(n0, n1, n2, n3)) {
            metric.distance4(query, queryOffset, v.page(n0), v.offset(n0), v.offset(n1), v.offset(n2), v.offset(n3), dimension, out);
        } else {
            out[0] = score(n0);
            out[1] = score(n1);
            out[2] = score(n2);
            out[3] = score(n3);
        }
    }
}
