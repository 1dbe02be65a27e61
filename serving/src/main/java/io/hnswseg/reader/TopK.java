package io.hnswseg.reader;

import io.hnswseg.hnsw.SearchResults;

/** Merges sorted per-segment results into the global top-k: a k-way merge, closest first, ties by id. */
final class TopK {

    private TopK() {
    }

    static SearchResults merge(SearchResults[] parts, int k) {
        if (parts.length == 1) {
            return parts[0];
        }
        int total = 0;
        for (SearchResults p : parts) {
            total += p.size();
        }
        int n = Math.min(k, total);
        long[] ids = new long[n];
        float[] distances = new float[n];
        int[] cursor = new int[parts.length];
        for (int out = 0; out < n; out++) {
            int best = -1;
            for (int s = 0; s < parts.length; s++) {
                if (cursor[s] == parts[s].size()) {
                    continue;
                }
                if (best < 0 || closer(parts[s], cursor[s], parts[best], cursor[best])) {
                    best = s;
                }
            }
            ids[out] = parts[best].ids()[cursor[best]];
            distances[out] = parts[best].distances()[cursor[best]];
            cursor[best]++;
        }
        return new SearchResults(ids, distances);
    }

    private static boolean closer(SearchResults a, int i, SearchResults b, int j) {
        float da = a.distances()[i];
        float db = b.distances()[j];
        return da < db || (da == db && a.ids()[i] < b.ids()[j]);
    }
}
