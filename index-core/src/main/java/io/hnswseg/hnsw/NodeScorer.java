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

    /**
     * For an approximate scorer: a lower bound of the exact distance to {@code node}, given this scorer's
     * {@code approximate} distance to it; negative infinity when nothing is known. Bounds must be sound
     * (never above the exact distance the graph's exact scorer computes): the re-rank skips every node whose
     * bound exceeds the k-th best exact distance found.
     */
    default float lowerBound(int node, float approximate) {
        return Float.NEGATIVE_INFINITY;
    }
}
