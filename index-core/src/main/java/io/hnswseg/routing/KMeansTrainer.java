package io.hnswseg.routing;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Fits the {@link Centroids} of a content-partitioned index on a sample of its vectors: k-means
 * (the tightest of {@link #RESTARTS} runs of k-means++ seeding and Lloyd iterations, one run for many cells; on directions
 * for ip/cosine), then biases that balance the partitions. Plain k-means cells of real data differ in size by 1.6x and
 * more; a segment that large builds last and holds the job up, so each centroid gets an additive bias, tuned on the
 * sample until no cell holds more than {@link #TARGET_IMBALANCE} times the mean, each row counted where routing sends it
 * (over every centroid). The centroids are then moved to the means of their biased cells and the biases
 * tuned again. What cannot be split this way is reported, not hidden: rows closer together than float
 * resolution (near-copies), or a dense region whose few centroids would need more raises than the tuning
 * makes ({@code Result.imbalance} over 1.5; the build warns).
 *
 * <p>Runs on the driver on the sample alone; a 100,000 x 128 sample of sift-real with 16 cells took 0.94 s with one run,
 * 2.10 s with three (one JVM after the other, not alternated).
 */
public final class KMeansTrainer {

    /** Largest cell the bias tuning aims for, relative to the mean: below 1.5 with room for sampling error. */
    static final double TARGET_IMBALANCE = 1.15;
    private static final int MAX_LLOYD_ITERATIONS = 25;
    /** Raises of the bias tuning, at most, per cell. */
    private static final int MAX_RAISES_PER_CELL = 50;
    /** Distances the raises may pass over in all (each raise passes over the table once): about 10 s here. */
    private static final long TUNING_WORK = 1L << 34;
    /** Raises without a smaller largest cell or excess over the cap, per cell, after which the tuning stops. */
    private static final int STALLED_RAISES_PER_CELL = 5;
    /**
     * Raises without progress, at most, whatever the cells: each costs a pass over the sample's distances, and
     * copies of one vector held over the cap never leave it (256 cells, a quarter of 10,000 rows one vector: 15 s
     * at 5 a cell).
     */
    private static final int MAX_STALLED_RAISES = 200;
    private static final int BALANCE_ROUNDS = 2;
    /**
     * Routing distances the bias tuning keeps (sample rows times cells, 64 MB): a larger sample is tuned on
     * rows spread over it; at least {@link #MIN_TUNING_ROWS_PER_CELL} rows a cell where that stays within
     * {@link #MAX_TUNING_DISTANCES} (256 MB; up to 512 cells), and at least one row a cell (k^2 distances, up to
     * {@link #MAX_CELLS}).
     */
    private static final long TUNING_DISTANCES = 16L << 20;
    private static final long MAX_TUNING_DISTANCES = 64L << 20;
    private static final int MIN_TUNING_ROWS_PER_CELL = 256;
    /**
     * Most cells trained: the bias tuning keeps a distance per cell for at least one row a cell, k^2 floats in one
     * array. More were refused only once k-means had run (47,000 cells: after 103 s on 50,000 2-d rows; review
     * helper 65); see also {@link #tuningBytes}, which a driver's heap must hold.
     */
    public static final int MAX_CELLS = 46_340;
    /** Rows k-means++ seeds from: seeding costs k passes, so it looks at a subsample of a large sample. */
    private static final int SEEDING_ROWS = 20_000;
    /** k-means runs, each from its own seeding, of which the tightest is kept ({@link #bestOfRestarts}). */
    static final int RESTARTS = 3;
    /**
     * Rows times cells times dimensions up to which k-means runs {@link #RESTARTS} times, past which once (64 cells of
     * the default 100,000-row sample of 128-d vectors): a run's cost grows with all three (100,000 sift rows, training
     * with one run against three: 16 cells 0.94 against 2.10 s, 256 cells 7.79 against 21.20 s), and a poor seeding
     * costs most where a cell is a large share of the data.
     */
    private static final long RESTART_WORK = 100_000L * 64 * 128;

    /**
     * The trained centroids and what the sample says about them.
     *
     * @param sampleSizes    rows of the sample in each cell, with the biases; cells (and centroids) come largest first,
     *                       but for rows exactly as near two cells
     * @param imbalance      largest cell of the sample relative to the mean
     */
    public record Result(Centroids centroids, int[] sampleSizes, double imbalance, double seconds) {
    }

    /**
     * Boundary replication's threshold: a vector whose second-nearest partition is within {@code gap} routing
     * distance of its nearest one is also indexed there; {@code share} of the rows it was set on are within it.
     */
    public record ReplicationGap(float gap, double share) {
    }

    private final Metric metric;
    private final int dimension;
    private final int rows;
    private final int k;
    private final float[] sample;
    private final SplittableRandom random;

    KMeansTrainer(float[] sample, int rows, int dimension, Metric metric, int k, long seed) {
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
     * Bytes of the bias tuning's table for {@code k} cells trained on {@code rows} rows: at most 256 MB up to 8,192
     * cells; past that a row a cell, k^2 floats (1 GB at 16,384, 8.5 GB at 46,000).
     */
    public static long tuningBytes(int k, int rows) {
        return (long) Float.BYTES * tuningRows(k, rows) * k;
    }

    /** Sample rows the bias tuning keeps a distance to every cell for; see {@link #TUNING_DISTANCES}. */
    private static int tuningRows(int k, int rows) {
        long wanted = Math.max(TUNING_DISTANCES / k, Math.min((long) MIN_TUNING_ROWS_PER_CELL * k, MAX_TUNING_DISTANCES / k));
        return (int) Math.min(rows, Math.max(k, wanted));
    }

    /** Whether a tuning table of {@code bytes} is past the size it keeps to while the cells allow (256 MB). */
    public static boolean tuningOverCap(long bytes) {
        return bytes > (long) Float.BYTES * MAX_TUNING_DISTANCES;
    }

    private static void requireRowsFor(int k, int rows) {
        if (k < 1 || rows < k) {
            throw new IllegalArgumentException("k-means needs at least as many sample rows as cells: " + rows + " rows, " + k + " cells");
        }
    }

    /**
     * Plain k-means centroids of rows {@code 0..rows-1} of {@code sample}, without biases: for grouping
     * vectors that lie together (an insertion order), where the cells' sizes do not matter. The balancing
     * of {@link #train} costs more than the k-means itself when many rows are copies of one vector. One run, without
     * {@link #train}'s restarts: an insertion order puts no recall at stake, and every segment task pays for it.
     *
     * @throws IllegalArgumentException when the sample has fewer rows than {@code k}
     */
    public static Centroids unbalanced(float[] sample, int rows, int dimension, Metric metric, int k, long seed) {
        requireRowsFor(k, rows);
        KMeansTrainer t = new KMeansTrainer(sample, rows, dimension, metric, k, seed);
        return new Centroids(metric, dimension, t.lloyd(t.seed()), null);
    }

    /**
     * The replication gap that takes a {@code budget} share (e.g. 0.05, at most 0.5) of rows {@code 0..rows-1} of
     * {@code sample}, those nearest a boundary of {@code centroids}' cells (biases included, as routing sends them).
     * Every row counts, copies of one vector too: a gap set on rows that hold a frequent vector once let that vector's
     * copies all be replicated (probe helper 42: 72% of rows replicated for a budget of 0.3). Rows marked in
     * {@code neverReplicated} (null for none) count in the share's denominator only.
     */
    public static ReplicationGap replicationGap(Centroids centroids, float[] sample, int rows, int dimension, double budget,
                                                boolean[] neverReplicated) {
        if (!(budget >= 0 && budget <= 0.5)) {
            throw new IllegalArgumentException("replication budget must be in [0, 0.5], got " + budget);
        }
        if (budget == 0 || centroids.count() < 2 || rows == 0) {
            return new ReplicationGap(0, 0);
        }
        float[] gaps = new float[rows];
        float[] d = new float[centroids.count()];
        Centroids.Scratch scratch = centroids.newScratch();
        for (int r = 0; r < rows; r++) {
            int best = centroids.nearest(sample, r * dimension, scratch, d);
            float second = Float.POSITIVE_INFINITY;
            for (int c = 0; c < d.length; c++) {
                if (c != best && d[c] < second) {
                    second = d[c];
                }
            }
            gaps[r] = neverReplicated != null && neverReplicated[r] ? Float.POSITIVE_INFINITY : second - d[best];
        }
        Arrays.sort(gaps);
        // The largest gap within which at most the budget's rows lie: rows at one gap (copies) are in or out together.
        int allowed = (int) Math.floor(budget * rows);
        int last = allowed - 1;
        if (allowed > 0 && allowed < rows && gaps[allowed] == gaps[last]) {
            while (last >= 0 && gaps[last] == gaps[allowed]) {
                last--;
            }
        }
        return last < 0 || gaps[last] <= 0 ? new ReplicationGap(0, 0) : new ReplicationGap(gaps[last], (double) (last + 1) / rows);
    }

    /**
     * Trains {@code k} centroids on rows {@code 0..rows-1} of {@code sample}.
     *
     * @throws IllegalArgumentException when the sample has fewer rows than {@code k}
     */
    public static Result train(float[] sample, int rows, int dimension, Metric metric, int k, long seed) {
        requireRowsFor(k, rows);
        if (k > MAX_CELLS) {
            throw new IllegalArgumentException(k + " cells: k-means trains at most " + MAX_CELLS);
        }
        long start = System.nanoTime();
        KMeansTrainer t = new KMeansTrainer(sample, rows, dimension, metric, k, seed);
        float[] centres = t.bestOfRestarts();
        float[] biases = new float[k];
        int[] assignment = new int[rows];
        // The round whose cells are smaller is kept: moving the centroids to their cells' means can leave the
        // next tuning a region it cannot balance (two blobs, 16 cells: 1.15x after the first round, 1.58x after
        // the second).
        int kept = Integer.MAX_VALUE;
        float[] keptCentres = centres;
        float[] keptBiases = biases;
        // The sample's cells as the build routes every vector (over all centroids, with the biases), of the kept round.
        int[] sizes = null;
        for (int round = 0; round < BALANCE_ROUNDS; round++) {
            biases = t.balance(new Centroids(metric, dimension, centres, null));
            int[] roundSizes = t.route(new Centroids(metric, dimension, centres, biases), assignment);
            int largest = Arrays.stream(roundSizes).max().orElse(0);
            if (largest < kept) {
                kept = largest;
                keptCentres = centres;
                keptBiases = biases;
                sizes = roundSizes;
            }
            if (round + 1 < BALANCE_ROUNDS) {
                centres = t.means(assignment, centres);
            }
        }
        centres = keptCentres;
        biases = keptBiases;
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
        for (int c = 0; c < k; c++) {
            System.arraycopy(centres, order[c] * dimension, sortedCentres, c * dimension, dimension);
            sortedBiases[c] = biases[order[c]];
        }
        Centroids sorted = new Centroids(metric, dimension, sortedCentres, sortedBiases);
        // Routed again in the new order: a row at exactly the same routing distance from two cells goes to the
        // lower index, which the reordering can change (one row of 10,000 on JDK 25), and the sizes reported are
        // routing's. The order stays that of the sizes before, largest first but for such rows.
        sizes = t.route(sorted, null);
        double mean = (double) rows / k;
        double imbalance = Arrays.stream(sizes).max().orElse(0) / mean;
        return new Result(sorted, sizes, imbalance, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Of {@link #RESTARTS} k-means runs (one past {@link #RESTART_WORK}), each from its own seeding, the one whose rows
     * lie nearest their centres (squared l2, or 1 - cos for ip and cosine). One seeding can settle in a poor partition:
     * of three builds of sift-real with its rows shuffled, one routed with recall 0.743 at nprobe 1, ef 64 where the
     * others reached 0.79-0.80 (probe helper 107).
     */
    float[] bestOfRestarts() {
        float[] best = null;
        double bestSpread = Double.POSITIVE_INFINITY;
        int runs = (long) rows * k * dimension <= RESTART_WORK ? RESTARTS : 1;
        for (int run = 0; run < runs; run++) {
            float[] centres = lloyd(seed());
            double spread = spread(centres);
            if (spread < bestSpread) {
                bestSpread = spread;
                best = centres;
            }
        }
        return best;
    }

    /** The sum over the sample of each row's distance to its nearest centre (k-means' objective). */
    double spread(float[] centres) {
        Centroids current = new Centroids(metric, dimension, centres, null);
        Centroids.Scratch scratch = current.newScratch();
        float[] d = new float[k];
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            sum += d[current.nearest(sample, r * dimension, scratch, d)];
        }
        return sum;
    }

    /** k-means++ seeding on up to {@link #SEEDING_ROWS} rows of the sample. */
    float[] seed() {
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
    float[] lloyd(float[] centres) {
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
     * The mean of each cell's rows (for ip/cosine, normalised); empty cells take the rows farthest from their own
     * centres, a row each, so no centroid is wasted.
     */
    float[] means(int[] assignment, float[] previous) {
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
        int[] farthest = farthestRows(assignment, previous, (int) Arrays.stream(sizes).filter(size -> size == 0).count());
        int refilled = 0;
        for (int c = 0; c < k; c++) {
            if (sizes[c] == 0) {
                System.arraycopy(sample, farthest[refilled++] * dimension, centres, c * dimension, dimension);
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

    /**
     * The {@code count} rows farthest from their own centres, farthest first and each row once: two cells emptied
     * in one step must not both take the same row, or one of them stays a copy of the other (review helper 109).
     */
    private int[] farthestRows(int[] assignment, float[] centres, int count) {
        if (count == 0) {
            return new int[0];
        }
        // A distance is non-negative, so its float bits order like it; the row rides in the low half.
        long[] keyed = new long[rows];
        for (int r = 0; r < rows; r++) {
            float d = (float) distance(sample, r * dimension, centres, assignment[r] * dimension);
            keyed[r] = (long) Float.floatToIntBits(Math.max(d, 0f)) << 32 | r;
        }
        Arrays.sort(keyed);
        int[] far = new int[count];
        for (int i = 0; i < count; i++) {
            far[i] = (int) keyed[rows - 1 - i];
        }
        return far;
    }

    private double distance(float[] a, int ao, float[] b, int bo) {
        return metric == Metric.L2 ? Metric.L2.distance(a, ao, b, bo, dimension) : Metric.IP.distance(a, ao, b, bo, dimension);
    }

    /**
     * Routes every sample row over all of {@code centroids} (biases included), as the build routes the input:
     * the size of each cell; optionally each row's cell into {@code into}.
     */
    private int[] route(Centroids centroids, int[] into) {
        int[] sizes = new int[k];
        float[] d = new float[k];
        Centroids.Scratch scratch = centroids.newScratch();
        for (int r = 0; r < rows; r++) {
            int best = centroids.nearest(sample, r * dimension, scratch, d);
            sizes[best]++;
            if (into != null) {
                into[r] = best;
            }
        }
        return sizes;
    }

    /**
     * Biases that bring every cell to at most {@link #TARGET_IMBALANCE} times the mean on the sample, when
     * each row goes to the cell of smallest distance plus bias over all cells, as routing sends it. Like
     * bids in an auction: the cells at or over that cap ("full") raise their biases together, by just enough
     * that as many rows as they hold over it leave for cells with room (the rows of the smallest margins to
     * their nearest cell with room); then again, until no cell is over. Biases only rise (a cell drained on
     * the way is refilled after, {@link #refill}), and a raise is as
     * large as the rows need. The earlier tuning lowered the biases of small cells without limit (one reached
     * -7,535 on skewed data, its cell then taking every vector), and cells raised one at a time passed rows
     * among themselves in small steps inside a dense region (a blob of 90% of the rows over 64 cells stopped
     * at 2.70x); raised together, their exchanges cancel and only rows leaving the region count (1.28x).
     */
    private float[] balance(Centroids unbiased) {
        float[] biases = new float[k];
        if (k == 1) {
            return biases;
        }
        int n = tuningRows(k, rows);
        float[] table = new float[n * k];
        float[] d = new float[k];
        Centroids.Scratch scratch = unbiased.newScratch();
        float scale = 0;
        for (int i = 0; i < n; i++) {
            unbiased.distances(sample, (int) ((long) i * rows / n) * dimension, scratch, d);
            System.arraycopy(d, 0, table, i * k, k);
            for (float x : d) {
                scale = Math.max(scale, Math.abs(x));
            }
        }
        int cap = Math.max((n + k - 1) / k, (int) Math.floor(TARGET_IMBALANCE * n / k));
        int[] cell = new int[n];
        int[] sizes = assign(table, n, biases, cell);
        boolean[] full = new boolean[k];
        int[] leaving = new int[n];
        float[] margins = new float[n];
        float[] sorted = new float[n];
        // Where the cap cannot be reached (rows closer than float resolution move together, and may not fit),
        // the raises go on while they help, and the best biases seen are kept.
        float[] best = biases.clone();
        int bestLargest = Integer.MAX_VALUE;
        int leastExcess = Integer.MAX_VALUE;
        int patience = Math.min(STALLED_RAISES_PER_CELL * k, MAX_STALLED_RAISES);
        long raises = Math.min((long) MAX_RAISES_PER_CELL * k, Math.max(k, TUNING_WORK / ((long) n * k)));
        for (int raise = 0, stalled = 0; raise < raises && stalled < patience; raise++) {
            int excess = 0;
            int largest = 0;
            float top = 0;
            for (int c = 0; c < k; c++) {
                full[c] = sizes[c] >= cap;
                excess += Math.max(0, sizes[c] - cap);
                largest = Math.max(largest, sizes[c]);
                top = Math.max(top, Math.abs(biases[c]));
            }
            stalled = largest < bestLargest || excess < leastExcess ? 0 : stalled + 1;
            leastExcess = Math.min(leastExcess, excess);
            if (largest < bestLargest) {
                bestLargest = largest;
                System.arraycopy(biases, 0, best, 0, k);
            }
            if (excess == 0) {
                break;
            }
            int m = 0;
            for (int i = 0; i < n; i++) {
                if (full[cell[i]]) {
                    int room = nearest(table, i, biases, full);
                    leaving[m] = i;
                    margins[m] = table[i * k + room] + biases[room] - (table[i * k + cell[i]] + biases[cell[i]]);
                    sorted[m] = margins[m];
                    m++;
                }
            }
            Arrays.sort(sorted, 0, m);
            float by = sorted[excess - 1];
            by += roundingMargin(by, scale + top);
            for (int c = 0; c < k; c++) {
                biases[c] += full[c] ? by : 0;
            }
            for (int j = 0; j < m; j++) {
                if (margins[j] <= by) {
                    int i = leaving[j];
                    int now = nearest(table, i, biases, null);
                    sizes[cell[i]]--;
                    sizes[now]++;
                    cell[i] = now;
                }
            }
        }
        refill(table, n, best, cap, scale);
        return best;
    }

    /**
     * Lowers the biases of cells left with less than half the mean (biases that only rise can drain a cell
     * raised along with its full neighbours: one of 16 cells was empty in {@code KMeansTrainerTest}'s first
     * case), each by just enough to take back the rows it lacks from cells above that floor, never below zero
     * (an unbounded lowering once let one cell take every vector). A lowering is undone when it would take the
     * cell past the largest cell or the cap, or take another cell under the floor (review helper 29: a donor fell
     * to 18 of a floor of 50), so no cell grows past what the raises left and none is drained by a refill.
     */
    private void refill(float[] table, int n, float[] biases, int cap, float scale) {
        int floor = n / (2 * k);
        int[] cell = new int[n];
        int[] sizes = assign(table, n, biases, cell);
        float[] sorted = new float[n];
        int[] now = new int[n];
        for (int c = 0; c < k; c++) {
            int lacking = floor - sizes[c];
            if (lacking <= 0 || biases[c] <= 0) {
                continue;
            }
            int m = 0;
            for (int i = 0; i < n; i++) {
                if (cell[i] != c && sizes[cell[i]] > floor) {
                    sorted[m++] = table[i * k + c] + biases[c] - (table[i * k + cell[i]] + biases[cell[i]]);
                }
            }
            if (m < lacking) {
                continue;
            }
            Arrays.sort(sorted, 0, m);
            float top = 0;
            for (float b : biases) {
                top = Math.max(top, Math.abs(b));
            }
            float by = sorted[lacking - 1] + roundingMargin(sorted[lacking - 1], scale + top);
            float was = biases[c];
            biases[c] = Math.max(0, was - by);
            int largest = Arrays.stream(sizes).max().orElse(0);
            int[] tried = assign(table, n, biases, now);
            boolean drains = false;
            for (int o = 0; o < k; o++) {
                drains |= o != c && sizes[o] >= floor && tried[o] < floor;
            }
            if (drains || tried[c] > Math.min(cap, largest)) {
                biases[c] = was;
                continue;
            }
            System.arraycopy(now, 0, cell, 0, n);
            sizes = tried;
        }
    }

    /**
     * What a bias step adds past a margin of {@code by} so that the rows at that margin are routed across the
     * boundary by any summation order: a few units in the last place of the largest routing sum ({@code scale}).
     * Steps at each threshold row's own scale split a heavy-tailed line's dense core better (4.7x against 11.9x
     * the mean over 32 cells) but a tight blob beside far rows worse (28.7x against 4.1x over 64 cells, review
     * helper 29): the biases' walk is chaotic in the step, so the step stays the one probe 25's cases were measured with.
     */
    private static float roundingMargin(float by, float scale) {
        return Math.max(by * 1e-4f, 64 * Math.ulp(scale));
    }

    /** Each of the {@code n} rows of {@code table} into its cell under {@code biases}; returns the cells' sizes. */
    private int[] assign(float[] table, int n, float[] biases, int[] cell) {
        int[] sizes = new int[k];
        for (int i = 0; i < n; i++) {
            cell[i] = nearest(table, i, biases, null);
            sizes[cell[i]]++;
        }
        return sizes;
    }

    /**
     * Row {@code i} of {@code table}'s cell of smallest distance plus bias, among those not marked in
     * {@code skip} (null: all); ties go to the lower cell, as routing's.
     */
    private int nearest(float[] table, int i, float[] biases, boolean[] skip) {
        int at = i * k;
        int best = -1;
        float first = Float.POSITIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            float x = table[at + c] + biases[c];
            if ((skip == null || !skip[c]) && (best < 0 || x < first)) {
                first = x;
                best = c;
            }
        }
        return best;
    }
}
