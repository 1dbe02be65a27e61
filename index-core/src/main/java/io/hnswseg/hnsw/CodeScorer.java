package io.hnswseg.hnsw;

import io.hnswseg.distance.CodeQuery;
import io.hnswseg.distance.QuantizedVectors;

/** Scores in-memory int8 codes against a float query: how searches walk a quantized graph. */
final class CodeScorer implements NodeScorer {

    private final QuantizedVectors codes;
    private final CodeQuery query;
    /** Rows scored on their floats by {@link #exact} instead ({@link QuantizedVectors#misfits}), or null. */
    private final boolean[] misfits;
    private final NodeScorer exact;

    /** Scores every row on its codes: how construction scores, code to code. */
    CodeScorer(QuantizedVectors codes, CodeQuery query) {
        this(codes, query, null, null);
    }

    /** Scores the {@code misfits} rows (may be null: none) with {@code exact}, the others on their codes. */
    CodeScorer(QuantizedVectors codes, CodeQuery query, boolean[] misfits, NodeScorer exact) {
        this.codes = codes;
        this.query = query;
        this.misfits = misfits;
        this.exact = exact;
    }

    /** Keeps what {@link QuantizedVectors#touch} loaded, in this per-thread object rather than the shared one. */
    private int sink;

    @Override
    public void prefetch(int[] nodes, int count) {
        sink += codes.touch(nodes, count);
    }

    @Override
    public float score(int node) {
        return misfits != null && misfits[node] ? exact.score(node) : codes.distance(query, node);
    }

    @Override
    public float lowerBound(int node, float approximate) {
        return query.lowerBound(approximate, node);
    }

    @Override
    public void score4(int n0, int n1, int n2, int n3, float[] out) {
        codes.distance4(query, n0, n1, n2, n3, out);
        if (misfits != null) {
            Misfits.rescore(misfits, exact, n0, n1, n2, n3, out);
        }
    }
}
