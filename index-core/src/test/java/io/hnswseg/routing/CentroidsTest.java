package io.hnswseg.routing;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class CentroidsTest {

    /**
     * Both ways of ranking (insertions for a few, one sort for many: a short answer ranks every centroid) give the
     * same order: by value, ties by index, negative values (routing distances less a bias) included.
     */
    @Test
    void theNearestAreRankedByValueThenIndexHoweverManyAreAsked() {
        SplittableRandom random = new SplittableRandom(42);
        float[] values = new float[700];
        for (int c = 0; c < values.length; c++) {
            // Few distinct values, so ties are many; some below zero, and a -0.0 tied with a 0.0.
            values[c] = random.nextInt(40) - 10 + (c % 97 == 0 ? 0.5f : 0f);
        }
        values[3] = 0.0f;
        values[4] = -0.0f;
        Integer[] expected = IntStream.range(0, values.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(c -> values[c] + 0f).thenComparingInt(c -> c)).toArray(Integer[]::new);
        for (int n : new int[] {1, 10, 64, 65, 300, 700}) {
            int[] want = Arrays.stream(expected).limit(n).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(want, Centroids.smallest(values, n), "the " + n + " nearest");
        }
    }
}
