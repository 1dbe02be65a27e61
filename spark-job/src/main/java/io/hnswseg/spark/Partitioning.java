package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.hnsw.Copies;
import io.hnswseg.routing.Centroids;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Which partition (segment) each vector goes to, shipped to every map task. Random: a hash of the id,
 * so sizes balance and a rerun puts every vector where it went before. k-means: the centroid of smallest
 * routing distance, and also the second one when it is within the replication gap; the copies of a vector
 * too frequent for one segment ({@link HeavyVectors}) go, by id, to one of the partitions chosen for it.
 */
final class Partitioning implements Serializable {

    private static final long serialVersionUID = 1L;

    int partitions;
    String metric;
    int dimension;
    /** Null for random partitioning; else the rows the centroids file holds, bit for bit. */
    float[] centroids;
    float[] biases;
    float replicationGap;
    /**
     * Vectors so frequent in the input (row-major, as segments store them) that one segment would be too large with all of
     * their copies, or null; see {@link HeavyVectors}.
     */
    float[] heavy;
    /** Per heavy vector, the partitions its copies are spread over by id (near it; see {@link HeavyVectors#cells}). */
    int[][] heavyCells;

    private transient Centroids cached;

    Partitioning() {
    }

    static Partitioning random(int partitions) {
        Partitioning p = new Partitioning();
        p.partitions = partitions;
        return p;
    }

    /**
     * @param partitions segments of the build; there may be more than centroids (a tiny input), and
     *                   the partitions without a centroid stay empty
     */
    static Partitioning kmeans(int partitions, Centroids centroids, float replicationGap) {
        Partitioning p = new Partitioning();
        p.partitions = partitions;
        p.metric = centroids.metric().externalName();
        p.dimension = centroids.dimension();
        p.centroids = centroids.vectors();
        p.biases = centroids.biases();
        p.replicationGap = replicationGap;
        return p;
    }

    boolean routed() {
        return centroids != null;
    }

    /**
     * Per partition, the CRC32C of its centroid as the centroids file stores it (for its segment's header), or
     * -1 for a partition without one (a tiny input); null for random partitioning.
     */
    long[] centroidCrc32cs() {
        if (!routed()) {
            return null;
        }
        long[] crcs = new long[partitions];
        for (int p = 0; p < partitions; p++) {
            // A partition past the centroids gets no vector, so no segment that would record the -1.
            crcs[p] = p < centroidCount() ? Centroids.crc32c(centroids, p, dimension) : -1;
        }
        return crcs;
    }

    /**
     * Per partition, the bias its vectors were assigned with (for its segment's header), or NaN for a partition
     * without a centroid; null for random partitioning. The same floats the manifest lists.
     */
    float[] centroidBiases() {
        if (!routed()) {
            return null;
        }
        float[] partitionBiases = new float[partitions];
        for (int p = 0; p < partitions; p++) {
            partitionBiases[p] = p < centroidCount() ? biases[p] : Float.NaN;
        }
        return partitionBiases;
    }

    /** Centroids of a k-means partitioning: as many as partitions, or fewer for a tiny input. */
    int centroidCount() {
        return centroids.length / dimension;
    }

    Centroids centroids() {
        if (cached == null && centroids != null) {
            cached = new Centroids(Metric.parse(metric), dimension, centroids, biases);
        }
        return cached;
    }

    /**
     * The largest partition over the mean when {@code rows} (row-major, {@code count} of them, copies included) are
     * routed as the input's rows are, replicas counted; 0 for none.
     */
    double routedImbalance(float[] rows, int count) {
        long[] counts = new long[partitions];
        Assigner assigner = new Assigner();
        int[] targets = new int[2];
        long routed = 0;
        for (int row = 0; row < count; row++) {
            int n = assigner.assign(row, rows, row * dimension, targets);
            for (int t = 0; t < n; t++) {
                counts[targets[t]]++;
            }
            routed += n;
        }
        return routed == 0 ? 0 : Arrays.stream(counts).max().getAsLong() * (double) partitions / routed;
    }

    /** Per-thread state of {@link #assign}: routing buffers, reused for every vector. */
    final class Assigner {
        private final Centroids.Scratch scratch;
        private final float[] distances;
        /** {@link Copies#rowHash} of each heavy vector, for the lookup of every input row; empty for none. */
        private final int[] heavyHashes;
        /** The row being looked up, normalised where segments store it so ({@link Vectors#asStored}); null without heavy vectors. */
        private final float[] stored;
        private final Metric heavyMetric;

        Assigner() {
            Centroids c = centroids();
            scratch = c == null ? null : c.newScratch();
            distances = new float[c == null ? 0 : c.count()];
            heavyHashes = new int[heavy == null ? 0 : heavyCells.length];
            for (int h = 0; h < heavyHashes.length; h++) {
                heavyHashes[h] = Copies.rowHash(heavy, h * dimension, dimension);
            }
            stored = heavyHashes.length == 0 ? null : new float[dimension];
            heavyMetric = heavyHashes.length == 0 ? null : Metric.parse(metric);
        }

        /**
         * Writes the partitions of a vector into {@code targets} and returns how many there are (1, or 2
         * for a replicated vector).
         */
        int assign(long id, float[] v, int offset, int[] targets) {
            if (!routed()) {
                targets[0] = Math.floorMod(mix(id), partitions);
                return 1;
            }
            int h = heavyHashes.length == 0 ? -1 : heavyIndex(v, offset);
            if (h >= 0) {
                // Copies of one vector lie at one distance from every centroid: spread by id, never replicated.
                targets[0] = heavyCells[h][Math.floorMod(mix(id), heavyCells[h].length)];
                return 1;
            }
            // Reproducibly: a map task run again, maybe on a machine of other kernels, sends each row where it went.
            int best = centroids().nearestReproducibly(v, offset, scratch, distances);
            targets[0] = best;
            int second = replicationGap > 0 ? centroids().replicaReproducibly(v, offset, distances, best, replicationGap) : -1;
            if (second >= 0) {
                targets[1] = second;
                return 2;
            }
            return 1;
        }

        /** Which heavy vector {@code v[offset..]} is, or -1. */
        private int heavyIndex(float[] v, int offset) {
            float[] row = v;
            int at = offset;
            if (heavyMetric.normalizes()) {
                System.arraycopy(v, offset, stored, 0, dimension);
                Vectors.asStored(stored, 0, dimension, heavyMetric);
                row = stored;
                at = 0;
            }
            int hash = Copies.rowHash(row, at, dimension);
            for (int h = 0; h < heavyHashes.length; h++) {
                if (heavyHashes[h] == hash && Copies.sameRow(row, at, heavy, h * dimension, dimension)) {
                    return h;
                }
            }
            return -1;
        }
    }

    /** A 64-bit mix of the id, so consecutive ids spread over the partitions. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
