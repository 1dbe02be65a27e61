package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.hnsw.Copies;
import io.hnswseg.routing.Centroids;

import java.util.Arrays;

/**
 * Vectors so frequent in the input that all their copies would make one segment too large (one embedding
 * standing for every empty text of a table, say). Copies of one vector lie at one distance from every
 * centroid, so an assignment by distance puts them all in one partition: 10,000 copies among 20,000 vectors
 * in 4 partitions made a segment of 2.00x the mean. Found in the input sample: a vector whose copies are more
 * than {@link #SHARE_PER_PART} of a partition's share of it, in parts of at least {@link #MIN_COPIES_PER_PART}.
 * Its copies are spread by id over partitions near it, as many as keep each part within that share: the first
 * its nearest, where a query at it is routed, the others those near it that other such vectors' parts leave room in,
 * so that they do not pile into the same cells.
 *
 * <p>The k-means cells are trained on the sample with such vectors once, and with once each vector more frequent
 * than a whole partition: the balancing of the cells cannot split copies (they sit at one point), and on a sample
 * where one vector was a fifth of the rows it drove one bias so far that 16 partitions became 2 segments of
 * 2,388 and 57,612 vectors (now one segment holds that vector's copies, 3.93x the mean, and the others are
 * balanced). Less frequent copies stay in the training, whose balancing then spreads them by row count.
 *
 * <p>Spreading loses no answer a search can ask for: every copy is as near a query as any other, and each part
 * is expected to hold at least {@link #MIN_COPIES_PER_PART}, above the largest k a batch search takes (10,000),
 * so a search of any one of those segments still returns copies only. (With fewer per part, a search for
 * 1,000 results near the vector got 956 copies and 44 farther vectors from its nearest segment.)
 */
final class HeavyVectors {

    /** A heavy vector's copies per partition, at most, as a share of a partition's mean. */
    static final double SHARE_PER_PART = 0.25;
    /** Fewer expected copies per part than this and a vector is not spread: twice the largest k of a search job. */
    static final long MIN_COPIES_PER_PART = 20_000;

    /** The heavy vectors, row-major, as segments store them ({@link Vectors#asStored}). */
    final float[] vectors;
    /** Per heavy vector, its share of the sample. */
    final double[] shares;
    /** The sample's rows without the extra copies of heavy and over-frequent vectors, row-major, to train the cells on. */
    final float[] trainingRows;
    final int trainingCount;
    /** Per sample row, whether it is a copy of a heavy vector (spread by id, never replicated); null when none is. */
    final boolean[] spreadRows;

    private HeavyVectors(float[] vectors, double[] shares, float[] trainingRows, int trainingCount, boolean[] spreadRows) {
        this.vectors = vectors;
        this.shares = shares;
        this.trainingRows = trainingRows;
        this.trainingCount = trainingCount;
        this.spreadRows = spreadRows;
    }

    /**
     * The heavy vectors of {@code sample} for a build of {@code partitions} over {@code inputRows} rows of
     * {@code metric}. Under a metric that normalises, rows are the same vector when they are after
     * normalisation (v and 2v), as the segments' copies are ({@link Vectors#asStored}).
     */
    static HeavyVectors find(Sample sample, int partitions, long inputRows, Metric metric) {
        int dim = sample.dimension;
        int[] next = Copies.chains(sample.vectors, sample.rows, dim, metric);
        if (next == null) {
            // Nothing to leave out: the sample itself is trained on, not a copy of it (it may be hundreds of MB).
            return new HeavyVectors(new float[0], new double[0], sample.vectors, sample.rows, null);
        }
        boolean[] copy = Copies.copies(next);
        boolean[] dropped = new boolean[sample.rows];
        boolean[] spreadRows = new boolean[sample.rows];
        int droppedCount = 0;
        float[] heavy = new float[0];
        double[] shares = new double[0];
        for (int head = 0; head < sample.rows; head++) {
            if (copy[head] || next[head] < 0) {
                continue;
            }
            int count = 0;
            for (int node = head; node >= 0; node = next[node]) {
                count++;
            }
            double share = (double) count / sample.rows;
            boolean spread = share > SHARE_PER_PART / partitions && share * inputRows / parts(share, partitions) >= MIN_COPIES_PER_PART;
            if (spread) {
                heavy = Arrays.copyOf(heavy, heavy.length + dim);
                System.arraycopy(sample.vectors, head * dim, heavy, heavy.length - dim, dim);
                Vectors.asStored(heavy, heavy.length - dim, dim, metric);
                shares = Arrays.copyOf(shares, shares.length + 1);
                shares[shares.length - 1] = share;
                for (int node = head; node >= 0; node = next[node]) {
                    spreadRows[node] = true;
                }
            }
            // Trained on once: a spread vector, and one more frequent than a whole partition, which no bias can balance.
            if (spread || share > 1.0 / partitions) {
                for (int node = next[head]; node >= 0; node = next[node]) {
                    dropped[node] = true;
                    droppedCount++;
                }
            }
        }
        if (shares.length == 0) {
            spreadRows = null;
        }
        if (droppedCount == 0) {
            return new HeavyVectors(heavy, shares, sample.vectors, sample.rows, spreadRows);
        }
        float[] training = new float[sample.rows * dim];
        int kept = 0;
        for (int row = 0; row < sample.rows; row++) {
            if (!dropped[row]) {
                System.arraycopy(sample.vectors, row * dim, training, kept++ * dim, dim);
            }
        }
        return new HeavyVectors(heavy, shares, training, kept, spreadRows);
    }

    /** How many partitions a vector of this share of the input is spread over. */
    private static int parts(double share, int partitions) {
        return (int) Math.min(partitions, Math.ceil(share * partitions / SHARE_PER_PART));
    }

    int count() {
        return shares.length;
    }

    /** Per heavy vector, the partitions (centroids) its copies go to; see {@link #cells(float[], double[], Centroids, int)}. */
    int[][] cells(Centroids centroids, int partitions) {
        return cells(vectors, shares, centroids, partitions);
    }

    /**
     * Per heavy vector ({@code vectors} row-major, as stored, with their {@code shares} of the input), the partitions
     * (centroids) its copies go to. The first is always its nearest by routing distance, whatever the load there:
     * that is the segment a query at the vector searches first. The others, in order of routing distance, are those
     * whose load of heavy copies (as a share of a partition's mean) stays within {@link #SHARE_PER_PART} with its part,
     * else the least loaded. The most frequent vectors choose first. A vector choosing after another with the same
     * nearest cells took only cells that were not its nearest, and a query at it, routed to those, found none of its
     * copies (review helper 61: two vectors of a tenth of the input each, 1e-2 apart, in 4 partitions).
     */
    static int[][] cells(float[] vectors, double[] shares, Centroids centroids, int partitions) {
        int dimension = centroids.dimension();
        int cellCount = centroids.count();
        double[] load = new double[cellCount];
        Integer[] order = new Integer[shares.length];
        for (int h = 0; h < order.length; h++) {
            order[h] = h;
        }
        Arrays.sort(order, (a, b) -> Double.compare(shares[b], shares[a]));
        int[][] cells = new int[shares.length][];
        for (int h : order) {
            int parts = Math.min(cellCount, parts(shares[h], partitions));
            double part = shares[h] * partitions / parts;
            int[] ranked = centroids.rank(Arrays.copyOfRange(vectors, h * dimension, (h + 1) * dimension), cellCount).centroids();
            int[] chosen = new int[parts];
            boolean[] taken = new boolean[cellCount];
            for (int i = 0; i < parts; i++) {
                int pick = i == 0 ? ranked[0] : -1;
                for (int r = 0; pick < 0 && r < ranked.length; r++) {
                    int c = ranked[r];
                    if (!taken[c] && load[c] + part <= SHARE_PER_PART + 1e-9) {
                        pick = c;
                    }
                }
                if (pick < 0) {
                    for (int c : ranked) {
                        if (!taken[c] && (pick < 0 || load[c] < load[pick])) {
                            pick = c;
                        }
                    }
                }
                taken[pick] = true;
                load[pick] += part;
                chosen[i] = pick;
            }
            cells[h] = chosen;
        }
        return cells;
    }
}
