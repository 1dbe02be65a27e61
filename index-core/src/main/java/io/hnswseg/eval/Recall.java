package io.hnswseg.eval;

import io.hnswseg.distance.Metric;

/** recall@k: the share of the true k nearest that a search returned, averaged over queries. */
public final class Recall {

    private Recall() {
    }

    /**
     * @param found ids returned per query (at least k each when the index has k vectors)
     * @param truth exact neighbour ids per query, nearest first; only the first k count
     */
    public static double atK(long[][] found, int[][] truth, int k) {
        if (found.length != truth.length) {
            throw new IllegalArgumentException(found.length + " result lists for " + truth.length + " ground-truth rows");
        }
        if (found.length == 0) {
            throw new IllegalArgumentException("no queries");
        }
        long hits = 0;
        for (int q = 0; q < found.length; q++) {
            int[] t = truth[q];
            if (t.length < k) {
                throw new IllegalArgumentException("ground truth row " + q + " has " + t.length + " ids, fewer than k=" + k);
            }
            long[] f = found[q];
            int n = Math.min(k, f.length);
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < n; j++) {
                    if (f[j] == t[i]) {
                        hits++;
                        break;
                    }
                }
            }
        }
        return hits / (double) (found.length * (long) k);
    }

    /**
     * How many of a search's results are true nearest neighbours, by distance: a result no farther than the
     * last true neighbour counts, so that of equally distant vectors (exact duplicates) any may be returned,
     * where matching ids would count all but the ones the truth happened to list as misses. At most
     * {@code trueCount}. For measures whose truth has distances (the build's, {@code search-job --check-recall});
     * {@link #atK} is for ground-truth files, which have ids only.
     *
     * @param found     the search's distances, nearest first (only the first {@code trueCount} are looked at)
     * @param trueCount how many true neighbours there are (k, or fewer in a smaller index)
     * @param lastTrue  the distance of the last of them
     */
    public static int hitsByDistance(float[] found, int trueCount, float lastTrue, Metric metric) {
        // The same distance computed by two kernels may differ in its last bits: for l2 relative to the
        // distance, for ip and cosine (1 - a dot product) relative to 1.
        float slack = 64 * Math.ulp(Math.abs(lastTrue)) + (metric == Metric.L2 ? 0 : 64 * Math.ulp(1f));
        int n = Math.min(trueCount, found.length);
        int hits = 0;
        for (int i = 0; i < n; i++) {
            if (found[i] <= lastTrue + slack) {
                hits++;
            }
        }
        return hits;
    }
}
