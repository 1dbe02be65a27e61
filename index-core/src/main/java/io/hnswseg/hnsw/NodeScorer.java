package io.hnswseg.hnsw;

/**
 * Distances from one fixed query to nodes of one graph. The searcher only ever asks a scorer, so the same
 * search code runs over float vectors in memory, mapped vectors, and the int8 codes used while building.
 */
public interface NodeScorer {

    float score(int node);

    /** Scores four nodes at once into {@code out[0..3]}, sharing the query's loads between them. */
    void score4(int n0, int n1, int n2, int n3, float[] out);

    /** Starts loading the vectors of {@code nodes[0..count)} before they are scored; a hint, may do nothing. */
    default void prefetch(int[] nodes, int count) {
    }
}
