package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;

/**
 * Build parameters of an HNSW graph.
 *
 * @param m              links per node on the upper layers; layer 0 keeps up to {@code 2 * m}
 * @param efConstruction beam width of the search that finds a new node's neighbours
 * @param seed           seed of the level draw; a single-threaded build is fully determined by it
 * @param metric         the distance
 * @param quantized      keep int8 codes of the vectors (a quarter of the bytes) and score them while
 *                       building and while walking the graph in a search; the float vectors are kept too
 *                       and re-rank each search's beam, so returned distances are exact
 */
public record HnswParams(int m, int efConstruction, long seed, Metric metric, boolean quantized) {

    public static final int DEFAULT_M = 16;
    public static final int DEFAULT_EF_CONSTRUCTION = 100;
    public static final long DEFAULT_SEED = 42L;
    /**
     * The widest build beam: far past any useful width (a few hundred), and small enough that its per-thread
     * buffers (a few ints per slot) cannot exhaust the heap or overflow an int.
     */
    public static final int MAX_EF_CONSTRUCTION = 1_000_000;

    public HnswParams {
        if (m < 2 || m > 512) {
            throw new IllegalArgumentException("m must be in [2, 512], got " + m);
        }
        if (efConstruction < 1 || efConstruction > MAX_EF_CONSTRUCTION) {
            throw new IllegalArgumentException("efConstruction must be in [1, " + MAX_EF_CONSTRUCTION + "], got " + efConstruction);
        }
        if (metric == null) {
            throw new IllegalArgumentException("metric is required");
        }
    }

    /** Parameters with int8 codes (the default). */
    public HnswParams(int m, int efConstruction, long seed, Metric metric) {
        this(m, efConstruction, seed, metric, true);
    }

    public static HnswParams defaults(Metric metric) {
        return new HnswParams(DEFAULT_M, DEFAULT_EF_CONSTRUCTION, DEFAULT_SEED, metric);
    }

    /** Maximum links of a node on layer 0. */
    public int m0() {
        return 2 * m;
    }
}
