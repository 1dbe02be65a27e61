package io.hnswseg.spark;

import io.hnswseg.distance.FloatPages;
import io.hnswseg.hnsw.Copies;
import io.hnswseg.routing.Centroids;

import java.util.Arrays;

/**
 * Vectors so frequent in the input that all their copies would make one segment too large (one embedding
 * standing for every empty text of a table, say). Copies of one vector lie at one distance from every
 * centroid, so an assignment by distance puts them all in one partition: 10,000 copies among 20,000 vectors
 * in 4 partitions made a segment of 2.00x the mean. Found in the input sample: a vector whose copies are more
 * than {@link #SHARE_PER_PART} of a partition's share of it. Its copies are spread by id over the partitions
 * of its nearest centroids, as many as keep each part within that share, and the k-means cells are trained
 * on the sample without them (one row each stays). Spreading loses no answer: every copy is as near a query as
 * any other, and each part holds at least {@link #MIN_COPIES_PER_PART} of them, more than a search asks for.
 */
final class HeavyVectors {

    /** A heavy vector's copies per partition, at most, as a share of a partition's mean. */
    static final double SHARE_PER_PART = 0.25;
    /** Fewer expected copies per part than this and a vector is not spread (its copies stay together). */
    static final long MIN_COPIES_PER_PART = 1_000;

    private final int dimension;
    /** The heavy vectors, row-major. */
    final float[] vectors;
    /** Per heavy vector, its share of the sample. */
    final double[] shares;
    /** The sample's rows with each heavy vector once, row-major, to train the cells on. */
    final float[] trainingRows;
    final int trainingCount;

    private HeavyVectors(int dimension, float[] vectors, double[] shares, float[] trainingRows, int trainingCount) {
        this.dimension = dimension;
        this.vectors = vectors;
        this.shares = shares;
        this.trainingRows = trainingRows;
        this.trainingCount = trainingCount;
    }

    /** The heavy vectors of {@code sample} for a build of {@code partitions} over {@code inputRows} rows. */
    static HeavyVectors find(Sample sample, int partitions, long inputRows) {
        int dim = sample.dimension;
        int[] next = Copies.chains(FloatPages.wrap(sample.vectors, dim), sample.rows, dim);
        boolean[] copy = new boolean[sample.rows];
        float[] heavy = new float[0];
        double[] shares = new double[0];
        if (next != null) {
            boolean[] chained = Copies.copies(next);
            for (int head = 0; head < sample.rows; head++) {
                if (chained[head] || next[head] < 0) {
                    continue;
                }
                int count = 0;
                for (int node = head; node >= 0; node = next[node]) {
                    count++;
                }
                double share = (double) count / sample.rows;
                int parts = parts(share, partitions);
                if (share > SHARE_PER_PART / partitions && share * inputRows / parts >= MIN_COPIES_PER_PART) {
                    heavy = Arrays.copyOf(heavy, heavy.length + dim);
                    System.arraycopy(sample.vectors, head * dim, heavy, heavy.length - dim, dim);
                    shares = Arrays.copyOf(shares, shares.length + 1);
                    shares[shares.length - 1] = share;
                    for (int node = next[head]; node >= 0; node = next[node]) {
                        copy[node] = true;
                    }
                }
            }
        }
        if (shares.length == 0) {
            // The sample itself is trained on: no copy of it (it may be hundreds of MB).
            return new HeavyVectors(dim, heavy, shares, sample.vectors, sample.rows);
        }
        float[] training = new float[sample.rows * dim];
        int kept = 0;
        for (int row = 0; row < sample.rows; row++) {
            if (!copy[row]) {
                System.arraycopy(sample.vectors, row * dim, training, kept++ * dim, dim);
            }
        }
        return new HeavyVectors(dim, heavy, shares, training, kept);
    }

    /** How many partitions a vector of this share of the input is spread over. */
    private static int parts(double share, int partitions) {
        return (int) Math.min(partitions, Math.ceil(share * partitions / SHARE_PER_PART));
    }

    int count() {
        return shares.length;
    }

    /** Per heavy vector, the partitions (centroids) its copies go to: its nearest ones by routing distance. */
    int[][] cells(Centroids centroids, int partitions) {
        int[][] cells = new int[count()][];
        for (int h = 0; h < cells.length; h++) {
            float[] vector = Arrays.copyOfRange(vectors, h * dimension, (h + 1) * dimension);
            cells[h] = centroids.rank(vector, Math.min(centroids.count(), parts(shares[h], partitions))).centroids();
        }
        return cells;
    }
}
