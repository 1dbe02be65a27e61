package io.hnswseg.hnsw;

import io.hnswseg.distance.QuantizedVectors;

/** Scores nodes against another node of the same graph on int8 codes: the builder's scorer. */
final class QuantizedScorer implements NodeScorer {

    private final QuantizedVectors codes;
    private int queryNode;

    QuantizedScorer(QuantizedVectors codes) {
        this.codes = codes;
    }

    QuantizedScorer reset(int queryNode) {
        this.queryNode = queryNode;
        return this;
    }

    /** Keeps what {@link QuantizedVectors#touch} loaded, in this per-thread object rather than the shared one. */
    private int sink;

    @Override
    public void prefetch(int[] nodes, int count) {
        sink += codes.touch(nodes, count);
    }

    @Override
    public float score(int node) {
        return codes.distance(queryNode, node);
    }

    @Override
    public void score4(int n0, int n1, int n2, int n3, float[] out) {
        codes.distance4(queryNode, n0, n1, n2, n3, out);
    }
}
