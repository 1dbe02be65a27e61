package io.hnswseg.reader;

import io.hnswseg.hnsw.SearchResults;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Merges sorted per-segment results into the global top-k: a k-way merge, closest first; ties between segments
 * by id, within one segment in its own order (node order, copies after their first). An id found in more than
 * one segment (a vector indexed in two partitions) is kept once, at its closest.
 */
final class TopK {

    /** Up to this many results, duplicates are found by scanning the output; beyond it, with a hash set. */
    private static final int SCAN_LIMIT = 64;

    private TopK() {
    }

    static SearchResults merge(SearchResults[] parts, int k) {
        if (parts.length == 1) {
            return parts[0];
        }
        long[] ids = new long[k];
        float[] distances = new float[k];
        int[] cursor = new int[parts.length];
        Set<Long> seen = k > SCAN_LIMIT ? new HashSet<>() : null;
        int out = 0;
        while (out < k) {
            int best = -1;
            for (int s = 0; s < parts.length; s++) {
                if (cursor[s] == parts[s].size()) {
                    continue;
                }
                if (best < 0 || closer(parts[s], cursor[s], parts[best], cursor[best])) {
                    best = s;
                }
            }
            if (best < 0) {
                break;
            }
            long id = parts[best].ids()[cursor[best]];
            float distance = parts[best].distances()[cursor[best]];
            cursor[best]++;
            if (seen != null ? seen.add(id) : !contains(ids, out, id)) {
                ids[out] = id;
                distances[out++] = distance;
            }
        }
        return out == k ? new SearchResults(ids, distances) : new SearchResults(Arrays.copyOf(ids, out), Arrays.copyOf(distances, out));
    }

    /**
     * The k-th smallest distance of the first {@code count} parts merged (distinct ids), or infinity when
     * they hold fewer than k distinct ids: k results are known to lie within it.
     */
    static float kthDistance(SearchResults[] parts, int count, int k) {
        SearchResults merged = count == 1 ? parts[0] : merge(Arrays.copyOf(parts, count), k);
        return kthDistance(merged, k);
    }

    /** The k-th distance of one segment's results (its ids are distinct), or infinity when it holds fewer than k. */
    static float kthDistance(SearchResults part, int k) {
        return part.size() >= k ? part.distances()[k - 1] : Float.POSITIVE_INFINITY;
    }

    private static boolean contains(long[] ids, int n, long id) {
        for (int i = 0; i < n; i++) {
            if (ids[i] == id) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether result i of a comes before result j of b: by distance, a NaN after every number (as a segment ranks it:
     * only a segment opened unverified gives one, and compared as numbers it could win over any; review helper 60),
     * then by id.
     */
    private static boolean closer(SearchResults a, int i, SearchResults b, int j) {
        float da = a.distances()[i];
        float db = b.distances()[j];
        boolean aNaN = da != da;
        boolean bNaN = db != db;
        if (da == db || aNaN && bNaN) {
            return a.ids()[i] < b.ids()[j];
        }
        return bNaN || !aNaN && da < db;
    }
}
