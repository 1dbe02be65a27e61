package io.hnswseg.reader;

import io.hnswseg.hnsw.SearchResults;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class TopKTest {

    private static SearchResults part(long[] ids, float... distances) {
        return new SearchResults(ids, distances);
    }

    @Test
    void aNaNDistanceComesAfterEveryNumberWhateverTheOrderOfTheParts() {
        // Only a segment opened unverified answers a NaN, last in its own answer; the merge compared it as a number
        // and, false both ways, let it win over the other part's head (review helper 60).
        SearchResults withNaN = part(new long[]{1, 2, 3}, 0.1f, 0.3f, Float.NaN);
        SearchResults finite = part(new long[]{4, 5, 6}, 0.2f, 0.4f, 0.5f);
        assertArrayEquals(new long[]{1, 4, 2, 5}, TopK.merge(new SearchResults[]{withNaN, finite}, 4).ids());
        assertArrayEquals(new long[]{1, 4, 2, 5}, TopK.merge(new SearchResults[]{finite, withNaN}, 4).ids());
        assertArrayEquals(new long[]{1, 4, 2, 5, 6, 3}, TopK.merge(new SearchResults[]{withNaN, finite}, 6).ids());
    }

    @Test
    void anIdInTwoPartsIsKeptOnceAtItsClosestAndTiesGoByIdBetweenParts() {
        SearchResults a = part(new long[]{7, 9}, 0.1f, 0.5f);
        SearchResults b = part(new long[]{3, 7, 8}, 0.1f, 0.2f, 0.5f);
        assertArrayEquals(new long[]{3, 7, 8, 9}, TopK.merge(new SearchResults[]{a, b}, 5).ids());
        assertArrayEquals(new float[]{0.1f, 0.1f, 0.5f, 0.5f}, TopK.merge(new SearchResults[]{a, b}, 5).distances());
    }
}
