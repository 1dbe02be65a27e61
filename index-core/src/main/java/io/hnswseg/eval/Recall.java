package io.hnswseg.eval;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.hnsw.SearchResults;

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
     * {@code lastTrue} for {@link #hits}, or NaN (that query's results then count by id only) for a query whose returned
     * distances cannot rank its neighbours: an ip query short against the index's vectors ({@code typicalLength}), which
     * readers search scaled up ({@link Vectors#ipQueryScale}) but whose distances come back as {@code 1 - x.q}, all within
     * rounding of one another. Every result of such a query passed as no farther than the last true one: `eval` gave
     * recall 1.0000 where its ids gave 0.9094 (probe helper 72).
     */
    public static float lastTrueForHits(float lastTrue, float[] query, Metric metric, double typicalLength) {
        return Vectors.ipQueryScale(query, metric, typicalLength) != 1f ? Float.NaN : lastTrue;
    }

    /**
     * recall@k with each query's results counted as {@link #hits} counts them: found when the truth lists the
     * id or when no farther than the k-th true neighbour. For a ground-truth file (ids only) whose k-th
     * neighbours' distances the caller computed.
     *
     * @param lastTrue per query the distance of its k-th true neighbour; NaN where it is not known (that
     *                 query's results then count by id only)
     */
    public static double atK(SearchResults[] found, int[][] truth, float[] lastTrue, int k, Metric metric) {
        if (found.length != truth.length || found.length != lastTrue.length) {
            throw new IllegalArgumentException(found.length + " result lists for " + truth.length + " ground-truth rows and "
                    + lastTrue.length + " distances");
        }
        if (found.length == 0) {
            throw new IllegalArgumentException("no queries");
        }
        long hits = 0;
        long[] trueIds = new long[k];
        for (int q = 0; q < found.length; q++) {
            if (truth[q].length < k) {
                throw new IllegalArgumentException("ground truth row " + q + " has " + truth[q].length + " ids, fewer than k=" + k);
            }
            for (int i = 0; i < k; i++) {
                trueIds[i] = truth[q][i];
            }
            hits += hits(found[q].ids(), found[q].distances(), trueIds, lastTrue[q], metric);
        }
        return hits / (double) (found.length * (long) k);
    }

    /**
     * How many of a search's results are true nearest neighbours: a result counts when the truth lists its id or
     * when it is no farther than the last true neighbour, so that of equally distant vectors (exact duplicates)
     * any may be returned, where matching ids alone would count all but the ones the truth happened to list as
     * misses. An id returned twice counts once; at most {@code trueIds.length}. For measures whose truth has
     * distances (the build's, {@code search-job --check-recall}); {@link #atK} is for ground-truth files, which
     * have ids only.
     *
     * @param foundIds       the search's ids, nearest first (only the first {@code trueIds.length} are looked at)
     * @param foundDistances their distances
     * @param trueIds        the true nearest neighbours' ids (k, or fewer in a smaller index)
     * @param lastTrue       the distance of the last of them
     */
    public static int hits(long[] foundIds, float[] foundDistances, long[] trueIds, float lastTrue, Metric metric) {
        // The same distance computed by two kernels may differ in its last bits: for l2 relative to the
        // distance, for ip and cosine (1 - a dot product) relative to 1. A tie found beyond that counts by id.
        float slack = 8 * Math.ulp(Math.abs(lastTrue)) + (metric == Metric.L2 ? 0 : 8 * Math.ulp(1f));
        int n = Math.min(trueIds.length, foundIds.length);
        int hits = 0;
        for (int i = 0; i < n; i++) {
            if (firstAt(foundIds, i) && (contains(trueIds, foundIds[i]) || foundDistances[i] <= lastTrue + slack)) {
                hits++;
            }
        }
        return hits;
    }

    /**
     * How many of a search's results the truth lists, by id alone (an id returned twice counts once; at most
     * {@code trueIds.length}): the strict count beside {@link #hits}, which also takes a result as near as the last
     * true neighbour to within float32 rounding. The two differ on exact copies and equal distances (any of them is
     * a right answer) and on neighbours closer together than float32 distances resolve (where the index cannot
     * tell which is nearer, and {@link #hits} does not show it): a build reports both.
     */
    public static int idHits(long[] foundIds, long[] trueIds) {
        int n = Math.min(trueIds.length, foundIds.length);
        int hits = 0;
        for (int i = 0; i < n; i++) {
            if (firstAt(foundIds, i) && contains(trueIds, foundIds[i])) {
                hits++;
            }
        }
        return hits;
    }

    private static boolean firstAt(long[] ids, int i) {
        for (int j = 0; j < i; j++) {
            if (ids[j] == ids[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(long[] ids, long id) {
        for (long x : ids) {
            if (x == id) {
                return true;
            }
        }
        return false;
    }
}
