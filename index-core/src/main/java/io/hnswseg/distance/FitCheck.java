package io.hnswseg.distance;

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

    private FitCheck() {
    }

    /** The fraction described above; 1 for sets too small to judge (under {@code 4 * CODE_K} rows). */
    static double agreement(Quantizer quantizer, FloatPages data, int rows) {
        int dimension = data.dimension();
        int n = Math.min(rows, CANDIDATES);
        if (n < 4 * CODE_K) {
            return 1;
        }
        Metric metric = quantizer.metric();
        float[] sample = new float[n * dimension];
        for (int i = 0; i < n; i++) {
            data.copyRow((int) ((long) i * rows / n), sample, i * dimension);
        }
        byte[] codes = quantizer.encode(sample, n);
        float[] exact = new float[n];
        float[] approximate = new float[n];
        float[] query = new float[dimension];
        int queries = Math.min(QUERIES, n / 4);
        long found = 0;
        for (int q = 0; q < queries; q++) {
            int self = (int) ((long) q * n / queries);
            System.arraycopy(sample, self * dimension, query, 0, dimension);
            CodeQuery codeQuery = quantizer.query(query);
            for (int i = 0; i < n; i++) {
                exact[i] = metric.distance(query, 0, sample, i * dimension, dimension);
                approximate[i] = codeQuery.distance(codes, i * dimension);
            }
            // The query row itself is not a neighbour of itself.
            exact[self] = Float.POSITIVE_INFINITY;
            approximate[self] = Float.POSITIVE_INFINITY;
            found += overlap(exact, approximate, n);
        }
        return (double) found / ((long) queries * TRUE_K);
    }

    /**
     * How many of the {@link #TRUE_K} nearest by exact distance are among the {@link #CODE_K} nearest by
     * code distance. Both sets have exactly their size: ties are broken by row, so codes that cannot tell
     * rows apart (all equal) score low instead of admitting every tied row.
     */
    private static int overlap(float[] exact, float[] approximate, int n) {
        boolean[] inCodeSet = new boolean[n];
        for (int row : nearest(approximate, n, CODE_K)) {
            inCodeSet[row] = true;
        }
        int found = 0;
        for (int row : nearest(exact, n, TRUE_K)) {
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
