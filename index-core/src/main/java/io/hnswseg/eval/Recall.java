package io.hnswseg.eval;

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
}
