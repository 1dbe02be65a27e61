package io.hnswseg.hnsw;

import io.hnswseg.distance.CodeQuery;

import io.hnswseg.distance.FloatPages;
import io.hnswseg.distance.Metric;
import io.hnswseg.distance.QuantizedVectors;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An HNSW graph in memory, laid out for speed the way hnswlib does it: all vectors in one float array (in
 * pages of 2^k vectors past 2^30 floats, see {@link FloatPages}), layer-0 links in fixed-size slots of one
 * int array ({@code [count, link...]} per node, so a node's links and its vector are each one multiply
 * away), and upper layers only for the few nodes that have them.
 *
 * <p>Built by {@link HnswGraphBuilder}; once built it is immutable and safe to search from many threads.
 */
public final class HnswGraph implements GraphView, VectorIndex {

    /** Link counts are read with acquire and written with release: searches during the build take no lock. */
    static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    static final int MAX_LEVEL = 30;
    private static final int LOCK_STRIPES = 1 << 12;

    final HnswParams params;
    final Metric metric;
    final int dimension;
    final int capacity;
    final int m;
    final int m0;
    /** Ints per node in {@link #layer0}: the count, then {@link #m0} links. */
    final int stride0;

    /** The vectors: one array up to 2^30 floats, pages of 2^k rows beyond (see {@link FloatPages}). */
    final FloatPages vectors;
    final long[] ids;
    final byte[] levels;
    final int[] layer0;
    /** Distance of each layer-0 link, kept while building so that pruning a full list does not recompute it. */
    float[] layer0Distances;
    /** Per node with level > 0: for each level l >= 1 a block {@code [count, link...]} of {@code 1 + m} ints. */
    final int[][] upper;
    float[][] upperDistances;
    private final Object[] locks;

    /** {@link #nextCopy} of each node, or null when no vector was added twice. */
    int[] nextCopy;
    /** Nodes that are a later copy of another ({@link #nextCopy}). */
    int copies;
    /** int8 codes of the vectors, which searches walk the graph with; null for a float-only graph. */
    QuantizedVectors codes;
    /** What the graph scores and why, as the builder decided it; see {@link #scoring()}. */
    String scoring = "float vectors";
    int size;
    /** Packed {@code (level << 32) | node} of the entry node; -1 while the graph is empty. */
    volatile long entry = -1;

    HnswGraph(int dimension, int capacity, HnswParams params) {
        // Checked before the vectors are allocated: a capacity too large should say so, not run out of memory.
        this(dimension, checkSize(dimension, capacity, params), params, FloatPages.allocate(capacity, dimension));
    }

    /** A graph whose vectors go to {@code vectors} (tests pass small pages). */
    HnswGraph(int dimension, int capacity, HnswParams params, FloatPages vectors) {
        checkSize(dimension, capacity, params);
        this.params = params;
        this.metric = params.metric();
        this.dimension = dimension;
        this.capacity = capacity;
        this.m = params.m();
        this.m0 = params.m0();
        this.stride0 = 1 + m0;
        this.vectors = vectors;
        this.ids = new long[capacity];
        this.levels = new byte[capacity];
        this.layer0 = new int[capacity * stride0];
        this.layer0Distances = new float[capacity * m0];
        this.upper = new int[capacity][];
        this.upperDistances = new float[capacity][];
        this.locks = new Object[Math.min(LOCK_STRIPES, Math.max(1, capacity))];
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
    }

    /** Returns {@code capacity} when a graph of that size fits its link array, else throws naming the limit. */
    private static int checkSize(int dimension, int capacity, HnswParams params) {
        if (dimension <= 0) {
            throw new IllegalArgumentException("dimension must be > 0, got " + dimension);
        }
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
        }
        int stride0 = 1 + params.m0();
        if ((long) capacity * stride0 > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a segment with m=" + params.m() + " holds at most " + (Integer.MAX_VALUE - 16) / stride0
                    + " vectors (got " + capacity + "): use more partitions");
        }
        return capacity;
    }

    Object lockFor(int node) {
        return locks[node % locks.length];
    }

    /** Allocates the upper-layer blocks of a node with {@code level > 0}. */
    void allocateUpper(int node, int level) {
        levels[node] = (byte) level;
        if (level > 0) {
            upper[node] = new int[level * (1 + m)];
            upperDistances[node] = new float[level * m];
        }
    }

    /** Called once the build is over: the link distances served only pruning. */
    void releaseBuildState() {
        layer0Distances = null;
        upperDistances = null;
    }

    @Override
    public SearchResults search(float[] query, int k, int ef) {
        return GraphSearcher.search(this, query, k, ef);
    }

    /**
     * The exact {@code k} nearest vectors by brute force over every node (ties by node order): the truth
     * that searches are measured against. Validates the query as {@link #search} does.
     */
    public SearchResults exactSearch(float[] query, int k) {
        return GraphSearcher.exact(this, query, k);
    }

    /** {@link #exactSearch(float[], int)} for many queries, reading the vectors once for all of them. */
    public SearchResults[] exactSearch(float[][] queries, int k) {
        return GraphSearcher.exact(this, queries, k);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public Metric metric() {
        return metric;
    }

    @Override
    public int m() {
        return m;
    }

    /** The parameters the graph was built with. */
    public HnswParams params() {
        return params;
    }

    @Override
    public int entryNode() {
        long e = entry;
        return e < 0 ? -1 : (int) e;
    }

    @Override
    public int topLevel() {
        long e = entry;
        return e < 0 ? 0 : (int) (e >>> 32);
    }

    @Override
    public int level(int node) {
        return levels[node];
    }

    @Override
    public long externalId(int node) {
        return ids[node];
    }

    @Override
    public int nextCopy(int node) {
        return nextCopy == null ? -1 : nextCopy[node];
    }

    @Override
    public int distinctCount() {
        return size - copies;
    }

    @Override
    public int neighbours(int level, int node, int[] into) {
        int[] block;
        int base;
        if (level == 0) {
            block = layer0;
            base = node * stride0;
        } else {
            block = upper[node];
            base = (level - 1) * (1 + m);
        }
        int count = (int) INTS.getAcquire(block, base);
        System.arraycopy(block, base + 1, into, 0, count);
        return count;
    }

    @Override
    public void copyVector(int node, float[] into, int offset) {
        vectors.copyRow(node, into, offset);
    }

    @Override
    public NodeScorer scorer(float[] query) {
        if (codes == null) {
            return exact(query);
        }
        CodeQuery approximate = codes.query(query);
        if (approximate.overflows()) {
            return exact(query);
        }
        boolean[] misfits = codes.misfits();
        return new CodeScorer(codes, approximate, misfits, misfits == null ? null : exact(query));
    }

    @Override
    public NodeScorer exactScorer(float[] query) {
        return codes != null ? exact(query) : null;
    }

    private FloatScorer exact(float[] query) {
        return new FloatScorer(metric, vectors).reset(query, 0);
    }

    /**
     * What construction and searches score: "int8 codes (sample agreement 0.998)", or "float vectors" and
     * why (codes turned off, or codes that would have lost recall on this data).
     */
    public String scoring() {
        return scoring;
    }

    /** The int8 codes searches walk with, or null when the graph was built without quantization. */
    public QuantizedVectors codes() {
        return codes;
    }

    /** Bytes of heap this graph holds (vectors, ids, links), for memory reports. */
    public long heapBytes() {
        long bytes = 4L * vectors.floats() + 8L * ids.length + levels.length + 4L * layer0.length + 8L * upper.length
                + (codes == null ? 0 : codes.bytes()) + (nextCopy == null ? 0 : 4L * nextCopy.length);
        for (int[] u : upper) {
            if (u != null) {
                bytes += 16 + 4L * u.length;
            }
        }
        return bytes;
    }
}
