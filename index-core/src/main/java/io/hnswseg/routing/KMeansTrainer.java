package io.hnswseg.routing;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Fits the {@link Centroids} of a content-partitioned index on a sample of its vectors: k-means
 * (k-means++ seeding, Lloyd iterations; on directions for ip/cosine), then biases that balance the
 * partitions. Plain k-means cells of real data differ in size by 1.6x and more; a segment that large
 * builds last and holds the job up, so each centroid gets an additive bias, tuned on the sample until no
 * cell holds more than {@link #TARGET_IMBALANCE} times the mean. The centroids are then moved to the
 * means of their biased cells and the biases tuned again.
 *
 * <p>Runs on the driver on the sample alone; a 100,000 x 128 sample with 16 cells takes about a second.
 */
public final class KMeansTrainer {

    /** Largest cell the bias tuning aims for, relative to the mean: below 1.5 with room for sampling error. */
    static final double TARGET_IMBALANCE = 1.15;
    private static final int MAX_LLOYD_ITERATIONS = 25;
    private static final int MAX_BIAS_ITERATIONS = 300;
    private static final int BALANCE_ROUNDS = 2;
    /** Candidate cells remembered per row for bias tuning: a bias moves a row only to a nearby cell. */
    private static final int CANDIDATES = 8;
    /** Rows k-means++ seeds from: seeding costs k passes, so it looks at a subsample of a large sample. */
    private static final int SEEDING_ROWS = 20_000;

    /**
     * The trained centroids and what the sample says about them.
     *
     * @param replicationGap a vector whose second-nearest partition is within this routing distance of its
     *                       nearest one is also indexed there (0 when no replication was asked for)
     * @param sampleSizes    rows of the sample in each cell, with the biases; cells (and centroids) come largest first
     * @param imbalance      largest cell of the sample relative to the mean
     * @param replicated     fraction of the sample within {@code replicationGap}
     */
    public record Result(Centroids centroids, float replicationGap, int[] sampleSizes, double imbalance, double replicated,
                         double seconds) {
    }

    private final Metric metric;
    private final int dimension;
    private final int rows;
    private final int k;
    private final float[] sample;
    private final SplittableRandom random;

    private KMeansTrainer(float[] sample, int rows, int dimension, Metric metric, int k, long seed) {
        this.metric = metric;
        this.dimension = dimension;
        this.rows = rows;
        this.k = k;
        this.sample = Arrays.copyOf(sample, rows * dimension);
        this.random = new SplittableRandom(seed);
        if (metric != Metric.L2) {
            for (int r = 0; r < rows; r++) {
                Vectors.normalize(this.sample, r * dimension, dimension);
            }
        }
    }

    /**
     * Trains {@code k} centroids on rows {@code 0..rows-1} of {@code sample}.
     *
     * @param replicationBudget fraction of vectors (e.g. 0.05) to index also in their second-nearest
     *                          partition, those nearest to a boundary; 0 for none
     * @throws IllegalArgumentException when the sample has fewer rows than {@code k}
     */
    public static Result train(float[] sample, int rows, int dimension, Metric metric, int k, long seed, double replicationBudget) {
        if (k < 1 || rows < k) {
            throw new IllegalArgumentException("k-means needs at least as many sample rows as cells: " + rows + " rows, " + k + " cells");
        }
        if (replicationBudget < 0 || replicationBudget > 0.5) {
            throw new IllegalArgumentException("replication budget must be in [0, 0.5], got " + replicationBudget);
        }
        long start = System.nanoTime();
        KMeansTrainer t = new KMeansTrainer(sample, rows, dimension, metric, k, seed);
        float[] centres = t.lloyd(t.seed());
        float[] biases = new float[k];
        Candidates candidates = null;
        for (int round = 0; round < BALANCE_ROUNDS; round++) {
            candidates = t.candidates(new Centroids(metric, dimension, centres, null));
            biases = t.balance(candidates);
            if (round + 1 < BALANCE_ROUNDS) {
                int[] cells = new int[rows];
                candidates.assign(biases, cells);
                centres = t.means(cells, centres);
            }
        }
        int[] assignment = new int[rows];
        float[] gaps = new float[rows];
        int[] sizes = candidates.assign(biases, assignment, gaps);
        float gap = 0;
        double replicated = 0;
        if (replicationBudget > 0 && k > 1) {
            float[] sorted = gaps.clone();
            Arrays.sort(sorted);
            gap = sorted[(int) Math.min(rows - 1, Math.floor(replicationBudget * rows))];
            long within = 0;
            for (float g : gaps) {
                within += g <= gap ? 1 : 0;
            }
            replicated = (double) within / rows;
        }
        // Largest cell first: partition i is centroid i, and Spark starts a stage's tasks in partition order, so
        // the biggest segments are built first and the last wave holds the smallest (less idle time at the end).
        Integer[] order = new Integer[k];
        for (int c = 0; c < k; c++) {
            order[c] = c;
        }
        int[] unsorted = sizes;
        Arrays.sort(order, (a, b) -> Integer.compare(unsorted[b], unsorted[a]));
        float[] sortedCentres = new float[centres.length];
        float[] sortedBiases = new float[k];
        sizes = new int[k];
        for (int c = 0; c < k; c++) {
            System.arraycopy(centres, order[c] * dimension, sortedCentres, c * dimension, dimension);
            sortedBiases[c] = biases[order[c]];
            sizes[c] = unsorted[order[c]];
        }
        double mean = (double) rows / k;
        double imbalance = Arrays.stream(sizes).max().orElse(0) / mean;
        return new Result(new Centroids(metric, dimension, sortedCentres, sortedBiases), gap, sizes, imbalance, replicated,
                (System.nanoTime() - start) / 1e9);
    }

    /** k-means++ seeding on up to {@link #SEEDING_ROWS} rows of the sample. */
    private float[] seed() {
        int n = Math.min(rows, SEEDING_ROWS);
        int[] pool = new int[n];
        for (int i = 0; i < n; i++) {
            pool[i] = (int) ((long) i * rows / n);
        }
        float[] centres = new float[k * dimension];
        double[] nearest = new double[n];
        Arrays.fill(nearest, Double.POSITIVE_INFINITY);
        int first = pool[random.nextInt(n)];
        System.arraycopy(sample, first * dimension, centres, 0, dimension);
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (int i = 0; i < n; i++) {
                double d = distance(sample, pool[i] * dimension, centres, (c - 1) * dimension);
                nearest[i] = Math.min(nearest[i], d);
                total += nearest[i];
            }
            int chosen = pool[random.nextInt(n)];
            if (total > 0) {
                double target = random.nextDouble() * total;
                for (int i = 0; i < n; i++) {
                    target -= nearest[i];
                    if (target <= 0) {
                        chosen = pool[i];
                        break;
                    }
                }
            }
            System.arraycopy(sample, chosen * dimension, centres, c * dimension, dimension);
        }
        return centres;
    }

    /** Lloyd iterations until fewer than 0.1% of rows change cell. */
    private float[] lloyd(float[] centres) {
        int[] assignment = new int[rows];
        Arrays.fill(assignment, -1);
        float[] d = new float[k];
        for (int iteration = 0; iteration < MAX_LLOYD_ITERATIONS; iteration++) {
            Centroids current = new Centroids(metric, dimension, centres, null);
            Centroids.Scratch scratch = current.newScratch();
            int changed = 0;
            for (int r = 0; r < rows; r++) {
                int best = current.nearest(sample, r * dimension, scratch, d);
                changed += best != assignment[r] ? 1 : 0;
                assignment[r] = best;
            }
            centres = means(assignment, current.vectors());
            if (changed <= rows / 1000) {
                break;
            }
        }
        return centres;
    }

    /**
     * The mean of each cell's rows (for ip/cosine, normalised); an empty cell takes the row farthest from
     * its own centre, so no centroid is wasted.
     */
    private float[] means(int[] assignment, float[] previous) {
        double[] sums = new double[k * dimension];
        int[] sizes = new int[k];
        for (int r = 0; r < rows; r++) {
            int c = assignment[r];
            sizes[c]++;
            for (int i = 0; i < dimension; i++) {
                sums[c * dimension + i] += sample[r * dimension + i];
            }
        }
        float[] centres = new float[k * dimension];
        for (int c = 0; c < k; c++) {
            if (sizes[c] == 0) {
                int far = farthestRow(assignment, previous);
                System.arraycopy(sample, far * dimension, centres, c * dimension, dimension);
                continue;
            }
            for (int i = 0; i < dimension; i++) {
                centres[c * dimension + i] = (float) (sums[c * dimension + i] / sizes[c]);
            }
            if (metric != Metric.L2) {
                Vectors.normalize(centres, c * dimension, dimension);
            }
        }
        return centres;
    }

    private int farthestRow(int[] assignment, float[] centres) {
        int far = random.nextInt(rows);
        double worst = -1;
        for (int r = 0; r < rows; r++) {
            double d = distance(sample, r * dimension, centres, assignment[r] * dimension);
            if (d > worst) {
                worst = d;
                far = r;
            }
        }
        return far;
    }

    private double distance(float[] a, int ao, float[] b, int bo) {
        return metric == Metric.L2 ? Metric.L2.distance(a, ao, b, bo, dimension) : Metric.IP.distance(a, ao, b, bo, dimension);
    }

    /** Each row's nearest cells with their (unbiased) routing distances. */
    private Candidates candidates(Centroids centroids) {
        int t = Math.min(k, CANDIDATES);
        Candidates c = new Candidates(rows, t, k);
        float[] d = new float[k];
        Centroids.Scratch scratch = centroids.newScratch();
        for (int r = 0; r < rows; r++) {
            centroids.distances(sample, r * dimension, scratch, d);
            int[] near = Centroids.smallest(d, t);
            for (int j = 0; j < t; j++) {
                c.cells[r * t + j] = near[j];
                c.distances[r * t + j] = d[near[j]];
            }
        }
        return c;
    }

    /**
     * Biases that bring every cell to at most {@link #TARGET_IMBALANCE} times the mean on the sample: a
     * cell above the mean is pushed away by raising its bias, one below it pulled in by lowering it, in
     * steps of the typical margin between a row's two nearest cells.
     */
    private float[] balance(Candidates candidates) {
        float[] biases = new float[k];
        if (k == 1) {
            return biases;
        }
        double margin = candidates.typicalMargin();
        double mean = (double) rows / k;
        double step = 0.5;
        for (int iteration = 0; iteration < MAX_BIAS_ITERATIONS; iteration++) {
            int[] sizes = candidates.assign(biases, null);
            double largest = Arrays.stream(sizes).max().orElse(0) / mean;
            if (largest <= TARGET_IMBALANCE) {
                break;
            }
            for (int c = 0; c < k; c++) {
                biases[c] += (float) (step * margin * (sizes[c] / mean - 1));
            }
            step *= 0.98;
        }
        return biases;
    }

    /** The candidate cells of every row, and the biased assignment over them. */
    private static final class Candidates {
        final int t;
        final int k;
        final int[] cells;
        final float[] distances;

        Candidates(int rows, int t, int k) {
            this.t = t;
            this.k = k;
            this.cells = new int[rows * t];
            this.distances = new float[rows * t];
        }

        int rows() {
            return cells.length / t;
        }

        /** Median gap between a row's nearest and second-nearest cell. */
        double typicalMargin() {
            if (t < 2) {
                return 1;
            }
            float[] gaps = new float[rows()];
            for (int r = 0; r < gaps.length; r++) {
                gaps[r] = distances[r * t + 1] - distances[r * t];
            }
            Arrays.sort(gaps);
            double median = gaps[gaps.length / 2];
            return median > 0 ? median : Math.max(1e-6, Math.abs(distances[0]));
        }

        int[] assign(float[] biases, int[] into) {
            return assign(biases, into, null);
        }

        /**
         * Sizes of the cells when each row goes to its candidate of smallest biased distance; optionally
         * the choice per row, and the gap to its second-best candidate.
         */
        int[] assign(float[] biases, int[] into, float[] gaps) {
            int[] sizes = new int[k];
            for (int r = 0, n = rows(); r < n; r++) {
                int best = -1;
                float bestDistance = Float.POSITIVE_INFINITY;
                float second = Float.POSITIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    int c = cells[r * t + j];
                    float d = distances[r * t + j] + biases[c];
                    if (d < bestDistance) {
                        second = bestDistance;
                        bestDistance = d;
                        best = c;
                    } else if (d < second) {
                        second = d;
                    }
                }
                sizes[best]++;
                if (into != null) {
                    into[r] = best;
                }
                if (gaps != null) {
                    gaps[r] = second - bestDistance;
                }
            }
            return sizes;
        }
    }
}
