package io.hnswseg.distance;

import io.hnswseg.concurrent.SharedWork;

/**
 * Checks a fitted {@link Quantizer} before a graph relies on it: sampled rows act as queries against a
 * sample of the others, and the fraction of each one's true 10 nearest (by the float vectors) that the
 * codes rank among their 30 nearest is measured. Searches walk the graph on the codes and re-rank a beam
 * of at least k with floats, so codes that keep the true neighbours near the front lose no recall, and
 * codes that scatter them would.
 */
final class FitCheck {

    private static final int CANDIDATES = 2_000;
    private static final int QUERIES = 50;
    private static final int TRUE_K = 10;
    private static final int CODE_K = 15;

    private final int dimension;
    private final int n;
    /** The sampled rows, row-major; null for sets too small to judge. */
    private final float[] sample;
    /** Per query row, its {@link #TRUE_K} nearest sampled rows by exact distance: the same for every quantizer tried. */
    private final int[][] truth;
    private final int[] queryRows;

    private FitCheck(int dimension, int n, float[] sample, int[][] truth, int[] queryRows) {
        this.dimension = dimension;
        this.n = n;
        this.sample = sample;
        this.truth = truth;
        this.queryRows = queryRows;
    }

    /**
     * Samples rows {@code 0..rows-1} of {@code data} and finds each query row's true neighbours among them,
     * once, on {@code threads} threads.
     */
    static FitCheck of(FloatPages data, int rows, Metric metric, int threads) {
        int dimension = data.dimension();
        int n = Math.min(rows, CANDIDATES);
        if (n < 4 * CODE_K) {
            return new FitCheck(dimension, n, null, null, null);
        }
        float[] sample = data.spreadSample(rows, n);
        int queries = Math.min(QUERIES, n / 4);
        int[][] truth = new int[queries][];
        int[] queryRows = new int[queries];
        SharedWork.run(queries, threads, q -> {
            float[] exact = new float[n];
            int self = (int) ((long) q * n / queries);
            queryRows[q] = self;
            for (int i = 0; i < n; i++) {
                exact[i] = metric.distance(sample, self * dimension, sample, i * dimension, dimension);
            }
            // The query row itself is not a neighbour of itself.
            exact[self] = Float.POSITIVE_INFINITY;
            truth[q] = nearest(exact, n, TRUE_K);
        });
        return new FitCheck(dimension, n, sample, truth, queryRows);
    }

    /**
     * The fraction described above for {@code quantizer}, on {@code threads} threads; 1 for sets too small
     * to judge (under {@code 4 * CODE_K} rows).
     */
    double agreement(Quantizer quantizer, int threads) {
        if (sample == null) {
            return 1;
        }
        byte[] codes = quantizer.encode(sample, n);
        float[] terms = new float[n];
        quantizer.rowTerms(codes, 0, n, terms, 0);
        int[] found = new int[truth.length];
        SharedWork.run(truth.length, threads, q -> {
            float[] approximate = new float[n];
            int self = queryRows[q];
            CodeQuery codeQuery = quantizer.query(java.util.Arrays.copyOfRange(sample, self * dimension, (self + 1) * dimension), terms);
            for (int i = 0; i < n; i++) {
                approximate[i] = codeQuery.distance(codes, i * dimension, i);
            }
            approximate[self] = Float.POSITIVE_INFINITY;
            found[q] = overlap(truth[q], approximate, n);
        });
        return (double) java.util.Arrays.stream(found).sum() / ((long) truth.length * TRUE_K);
    }

    /**
     * How many of the {@link #TRUE_K} nearest by exact distance are among the {@link #CODE_K} nearest by
     * code distance. Both sets have exactly their size: ties are broken by row, so codes that cannot tell
     * rows apart (all equal) score low instead of admitting every tied row.
     */
    private static int overlap(int[] trueNearest, float[] approximate, int n) {
        boolean[] inCodeSet = new boolean[n];
        for (int row : nearest(approximate, n, CODE_K)) {
            inCodeSet[row] = true;
        }
        int found = 0;
        for (int row : trueNearest) {
            found += inCodeSet[row] ? 1 : 0;
        }
        return found;
    }

    /** The rows of the {@code k} smallest distances, ties broken by row. */
    private static int[] nearest(float[] distances, int n, int k) {
        long[] keyed = new long[n];
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToRawIntBits(distances[i]);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff);
            keyed[i] = ((long) sortable << 32) | i;
        }
        java.util.Arrays.sort(keyed);
        int[] rows = new int[k];
        for (int i = 0; i < k; i++) {
            rows[i] = (int) keyed[i];
        }
        return rows;
    }
}
