package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;

/**
 * A read-only view of an HNSW graph, as the searcher and the segment writer see it. Nodes are dense ints
 * {@code 0..size()-1}; callers' ids are the {@link #externalId(int) external ids}. Implemented by the
 * in-memory {@link HnswGraph} and by memory-mapped segments.
 */
public interface GraphView {

    int size();

    int dimension();

    Metric metric();

    /** The {@code m} the graph was built with; layer 0 holds up to {@code 2 * m} links per node. */
    int m();

    /** The node where every search starts, or -1 when the graph is empty. */
    int entryNode();

    /** The top layer of the graph (the level of the entry node). */
    int topLevel();

    /** The highest layer {@code node} is linked on. */
    int level(int node);

    long externalId(int node);

    /**
     * The next node holding the same vector as {@code node} (a larger node number), or -1. A vector added
     * several times is in the graph once, as the first node of such a chain; the others have no links and
     * are returned after it with its distance (see {@code Copies}).
     */
    int nextCopy(int node);

    /** The distinct vectors: nodes that are not a later copy of another ({@link #nextCopy}), all of the walk. */
    int distinctCount();

    /** Copies the links of {@code node} on {@code level} into {@code into} and returns how many there are. */
    int neighbours(int level, int node, int[] into);

    /** Copies the stored (for cosine: normalised) vector of {@code node} into {@code into[offset..]}. */
    void copyVector(int node, float[] into, int offset);

    /**
     * The scorer a search walks the graph with, for {@code query} (already validated and, for cosine,
     * normalised). It may be approximate (int8 codes); then {@link #exactScorer} gives the exact one.
     */
    NodeScorer scorer(float[] query);

    /** An exact float scorer when {@link #scorer} is approximate, or null when {@link #scorer} is exact. */
    NodeScorer exactScorer(float[] query);
}
