package io.hnswseg.distance;

/**
 * The sorted-insertion step of a small top-n selection over a stream of (distance, id) pairs, kept in two
 * parallel arrays nearest first. For the short lists of a brute-force scan or a centroid ranking, an
 * insertion that shifts a few entries costs less than a heap, and keeps ties in arrival order.
 */
public final class NearestList {

    private NearestList() {
    }

    /**
     * Inserts {@code id} at {@code distance} into {@code (ids, distances)}, whose first {@code filled} entries
     * are sorted nearest first and whose capacity is {@code ids.length}, if it belongs there; returns the new
     * count. An entry equal to one already there goes after it, so ties keep their arrival order.
     */
    public static int insert(int[] ids, float[] distances, int filled, float distance, int id) {
        int n = ids.length;
        if (filled == n && !(distance < distances[n - 1])) {
            return filled;
        }
        int i = filled < n ? filled++ : n - 1;
        while (i > 0 && distances[i - 1] > distance) {
            distances[i] = distances[i - 1];
            ids[i] = ids[i - 1];
            i--;
        }
        distances[i] = distance;
        ids[i] = id;
        return filled;
    }
}
