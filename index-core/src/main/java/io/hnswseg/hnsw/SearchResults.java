package io.hnswseg.hnsw;

import java.util.Arrays;

/**
 * The answer to a top-k query: external ids and distances, closest first (ties by internal order).
 * Arrays are owned by this object; do not modify them.
 */
public record SearchResults(long[] ids, float[] distances) {

    public SearchResults {
        if (ids.length != distances.length) {
            throw new IllegalArgumentException("ids and distances differ in length");
        }
    }

    public int size() {
        return ids.length;
    }

    /**
     * Same ids in the same order, and distances equal within {@code relativeTolerance * max(|distance|, 1)}:
     * relative for large distances, absolute for small ones, because ip and cosine distances are
     * {@code 1 - dot}, where one ulp of a dot near 1 is a large relative change of a small distance. Use this rather than
     * {@link #equals} to compare searches across JVMs or JIT tiers: on JDK 21 and later the Vector API's
     * float lane reduction may round differently in compiled and interpreted code (by one ulp), so the
     * same search can return distances that differ in their last bit.
     */
    public boolean matches(SearchResults other, double relativeTolerance) {
        if (!Arrays.equals(ids, other.ids)) {
            return false;
        }
        for (int i = 0; i < distances.length; i++) {
            double scale = Math.max(1.0, Math.max(Math.abs(distances[i]), Math.abs(other.distances[i])));
            if (Math.abs(distances[i] - other.distances[i]) > relativeTolerance * scale) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SearchResults r && Arrays.equals(ids, r.ids) && Arrays.equals(distances, r.distances);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ids) + Arrays.hashCode(distances);
    }

    @Override
    public String toString() {
        return "SearchResults" + Arrays.toString(ids) + Arrays.toString(distances);
    }
}
