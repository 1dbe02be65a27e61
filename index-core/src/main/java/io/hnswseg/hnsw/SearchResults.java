package io.hnswseg.hnsw;

import java.util.Arrays;

/**
 * The answer to a top-k query: external ids and distances, closest first (ties by internal order).
 * Arrays are owned by this object; do not modify them.
 */
public record SearchResults(long[] ids, float[] distances) {

    public static final SearchResults EMPTY = new SearchResults(new long[0], new float[0]);

    public SearchResults {
        if (ids.length != distances.length) {
            throw new IllegalArgumentException("ids and distances differ in length");
        }
    }

    public int size() {
        return ids.length;
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
