package io.hnswseg.hnsw;

import io.hnswseg.distance.CodeQuery;
import io.hnswseg.distance.QuantizedVectors;

/** Scores in-memory int8 codes against a float query: how searches walk a quantized graph. */
final class CodeScorer implements NodeScorer {

    private final QuantizedVectors codes;
    private final CodeQuery query;

    CodeScorer(QuantizedVectors codes, CodeQuery query) {
        this.codes = codes;
        this.query = query;
    }

    /** Keeps what {@link QuantizedVectors#touch} loaded, in this per-thread object rather than the shared one. */
    private int sink;

    @Override
    public void prefetch(int[] nodes, int count) {
        sink += codes.touch(nodes, count);
    }

    @Override
    public float score(int node) {
        return codes.distance(query, node);
    }

    @Override
    public float lowerBound(int node, float approximate) {
        return query.lowerBound(approximate, node);
    }

    @Override
    public void score4(int n0, int n1, int n2, int n3, float[] out) {
        codes.distance4(query, n0, n1, n2, n3, out);
    }
}
