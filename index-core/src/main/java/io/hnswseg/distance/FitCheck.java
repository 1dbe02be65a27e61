package io.hnswseg.distance;

import io.hnswseg.concurrent.SharedWork;

import java.util.Arrays;

/**
 * Checks a fitted {@link Quantizer} before a graph relies on it: sampled rows act as queries, and the
 * fraction of each one's true 10 nearest rows (by the float vectors) that the codes rank among their 15
 * nearest is measured; a row as near as the 10th true one counts as one of them, so that exact copies, which
 * codes cannot order, are not counted as misses. Searches walk the graph on the codes and re-rank a beam of
 * at least k with floats, so codes that keep the true neighbours near the front lose no recall, and codes that
 * scatter them would.
 *
 * <p>A query's rivals are its {@link #NEIGHBOURHOOD} nearest rows of the whole set, found once by an exact
 * scan, and a sample spread over the set. The neighbourhood holds the set's own density: a sample of a
 * segment of 200 tight clusters of 100 vectors holds a few of each, between which codes rank well, where
 * the segment's hundred are closer than a code step (probe helper 45: recall@10 0.29 on codes against 0.81
 * float-only; judged on the sample alone, the codes agreed on 0.978). The sample holds rows far from every
 * query, which codes of a stretched range rank among the near ones.
 */
final class FitCheck {

    private static final int CANDIDATES = 2_000;
    private static final int QUERIES = 50;
    private static final int TRUE_K = 10;
    private static final int CODE_K = 15;
    /** Fewer rows than this leave too few neighbours to judge codes by: {@link #of} gives no check. */
    static final int MIN_ROWS = 4 * CODE_K;
    /** Nearest rows of the whole set each query is judged against, besides the sample. */
    static final int NEIGHBOURHOOD = 100;

    private final int dimension;
    /** The sampled rows, row-major; null for sets too small to judge. */
    private final float[] sample;
    private final int sampled;
    /** Per query, its sample index. */
    private final int[] queryRows;
    /** Per query, its neighbourhood rows that are not in the sample, row-major: candidates {@code sampled..}. */
    private final float[][] extra;
    /**
     * Per query, the exact distance of the farthest of its {@link #TRUE_K} nearest rows, by {@link Metric#distance} (the
     * scan's column kernel may differ in the last bits): a candidate no farther is a true neighbour.
     */
    private final float[] limits;
    /**
     * Per query, the candidates that are its {@link #TRUE_K} nearest rows, sorted: found, they count whatever their
     * distance computes to again. The same pair's distance came out a few units in the last place apart from one call to
     * the next (the SIMD kernels' lane sums add in an order the JIT picks), and true neighbours at the limit missed it:
     * on JDK 25 a heavy-tailed set's clipped codes measured 0.966 where they agree on every neighbour, and lost (CI).
     */
    private final int[][] truths;
    private final Metric metric;

    private FitCheck(int dimension, float[] sample, int sampled, int[] queryRows, float[][] extra, float[] limits, int[][] truths,
                     Metric metric) {
        this.dimension = dimension;
        this.sample = sample;
        this.sampled = sampled;
        this.queryRows = queryRows;
        this.extra = extra;
        this.limits = limits;
        this.truths = truths;
        this.metric = metric;
    }

    /**
     * Samples rows {@code 0..rows-1} of {@code data}, picks the query rows among them and finds each one's
     * neighbourhood and true neighbours by one exact scan of every row, once, on {@code threads} threads; null for
     * fewer than {@link #MIN_ROWS} rows.
     */
    static FitCheck of(FloatPages data, int rows, Metric metric, int threads) {
        int dimension = data.dimension();
        int n = Math.min(rows, CANDIDATES);
        if (n < MIN_ROWS) {
            return null;
        }
        float[] sample = data.spreadSample(rows, n);
        int queries = Math.min(QUERIES, n / 4);
        int[] queryRows = new int[queries];
        float[][] queryVectors = new float[queries][];
        for (int q = 0; q < queries; q++) {
            queryRows[q] = (int) ((long) q * n / queries);
            queryVectors[q] = Arrays.copyOfRange(sample, queryRows[q] * dimension, (queryRows[q] + 1) * dimension);
        }
        int wanted = Math.min(rows, NEIGHBOURHOOD + 1);
        int[][] nearest = new int[queries][wanted];
        float[][] distances = new float[queries][wanted];
        int groups = Math.max(1, Math.min(threads, queries));
        SharedWork.run(groups, groups, g -> {
            int from = g * queries / groups;
            int to = (g + 1) * queries / groups;
            ColumnTile.scan(metric, dimension, rows, (row, into) -> data.copyRow(row, into, 0),
                    Arrays.copyOfRange(queryVectors, from, to), Arrays.copyOfRange(nearest, from, to),
                    Arrays.copyOfRange(distances, from, to));
        });
        float[][] extra = new float[queries][];
        float[] limits = new float[queries];
        int[][] truths = new int[queries][];
        for (int q = 0; q < queries; q++) {
            int self = dataRow(queryRows[q], rows, n);
            int outside = 0;
            int[] candidate = new int[wanted];
            for (int i = 0; i < wanted; i++) {
                int inSample = sampleIndex(nearest[q][i], rows, n);
                candidate[i] = inSample >= 0 ? inSample : n + outside++;
            }
            extra[q] = new float[outside * dimension];
            for (int i = 0; i < wanted; i++) {
                if (candidate[i] >= n) {
                    data.copyRow(nearest[q][i], extra[q], (candidate[i] - n) * dimension);
                }
            }
            limits[q] = Float.NEGATIVE_INFINITY;
            int[] truth = new int[Math.min(TRUE_K, wanted)];
            int found = 0;
            for (int i = 0; i < wanted && found < truth.length; i++) {
                // The query row itself is not a neighbour of itself.
                if (nearest[q][i] != self) {
                    limits[q] = Math.max(limits[q], exact(metric, queryVectors[q], sample, n, extra[q], candidate[i]));
                    truth[found++] = candidate[i];
                }
            }
            truths[q] = Arrays.copyOf(truth, found);
            Arrays.sort(truths[q]);
        }
        return new FitCheck(dimension, sample, n, queryRows, extra, limits, truths, metric);
    }

    /** The row the {@code i}-th of {@code n} spread samples of {@code rows} rows is ({@link FloatPages#spreadSample}). */
    private static int dataRow(int i, int rows, int n) {
        return (int) ((long) i * rows / n);
    }

    /** The sample index of data row {@code row}, or -1 when it is not sampled. */
    private static int sampleIndex(int row, int rows, int n) {
        int i = (int) (((long) row * n + rows - 1) / rows);
        return i < n && dataRow(i, rows, n) == row ? i : -1;
    }

    /** The fraction described above for {@code quantizer}, on {@code threads} threads. */
    double agreement(Quantizer quantizer, int threads) {
        byte[] codes = quantizer.encode(sample, sampled);
        float[] terms = new float[sampled];
        quantizer.rowTerms(codes, 0, sampled, terms, 0);
        float[] errors = new float[sampled];
        quantizer.rowErrors(sample, 0, sampled, codes, errors, 0);
        // Searches score misfit rows on their floats; so does the check, or it would judge codes on rows they never
        // score. The limit is the sample's, as the segment's is its rows' (a query's nearest rows are no sample of it),
        // and stands when no sampled row is above it: a segment's few outliers are likely missed by a sample of 2,000,
        // and are just what a query's nearest rows hold under ip (review helper 56).
        float limit = Quantizer.misfitLimit(quantizer.metric(), errors);
        float misfitLimit = Quantizer.tooManyMisfits(Quantizer.countAbove(errors, limit), sampled) ? Float.POSITIVE_INFINITY : limit;
        int[] found = new int[limits.length];
        SharedWork.run(limits.length, threads, q -> {
            int outside = extra[q].length / dimension;
            byte[] extraCodes = quantizer.encode(extra[q], outside);
            float[] extraTerms = new float[outside];
            quantizer.rowTerms(extraCodes, 0, outside, extraTerms, 0);
            float[] extraErrors = new float[outside];
            quantizer.rowErrors(extra[q], 0, outside, extraCodes, extraErrors, 0);
            int self = queryRows[q];
            float[] query = Arrays.copyOfRange(sample, self * dimension, (self + 1) * dimension);
            float[] approximate = new float[sampled + outside];
            score(quantizer.query(query, terms), query, sample, codes, errors, misfitLimit, 0, sampled, approximate);
            score(quantizer.query(query, extraTerms), query, extra[q], extraCodes, extraErrors, misfitLimit, sampled, outside, approximate);
            approximate[self] = Float.POSITIVE_INFINITY;
            int near = 0;
            for (int c : nearest(approximate, CODE_K)) {
                near += Arrays.binarySearch(truths[q], c) >= 0 || exact(metric, query, sample, sampled, extra[q], c) <= limits[q] ? 1 : 0;
            }
            found[q] = Math.min(TRUE_K, near);
        });
        return (double) Arrays.stream(found).sum() / ((long) limits.length * TRUE_K);
    }

    /**
     * Scores the {@code count} rows of {@code vectors} (codes {@code codes}, code errors {@code errors}) into
     * {@code into[first..]} as a search would: on the codes, or on the floats for a row whose error is above
     * {@code misfitLimit}.
     */
    private void score(CodeQuery codeQuery, float[] query, float[] vectors, byte[] codes, float[] errors, float misfitLimit,
                       int first, int count, float[] into) {
        for (int i = 0; i < count; i++) {
            into[first + i] = errors[i] > misfitLimit
                    ? metric.distance(query, 0, vectors, i * dimension, dimension)
                    : codeQuery.distance(codes, i * dimension, i);
        }
    }

    /**
     * The exact distance from {@code query} to candidate {@code c}: a row of {@code sample} (its first {@code sampled}
     * candidates), else of the query's {@code extra} rows.
     */
    private static float exact(Metric metric, float[] query, float[] sample, int sampled, float[] extra, int c) {
        int dimension = query.length;
        return c < sampled ? metric.distance(query, 0, sample, c * dimension, dimension)
                : metric.distance(query, 0, extra, (c - sampled) * dimension, dimension);
    }

    /** The candidates of the {@code k} smallest distances, ties broken by candidate. */
    private static int[] nearest(float[] distances, int k) {
        long[] keyed = new long[distances.length];
        for (int i = 0; i < distances.length; i++) {
            int bits = Float.floatToRawIntBits(distances[i]);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff);
            keyed[i] = ((long) sortable << 32) | i;
        }
        Arrays.sort(keyed);
        int[] rows = new int[k];
        for (int i = 0; i < k; i++) {
            rows[i] = (int) keyed[i];
        }
        return rows;
    }
}
