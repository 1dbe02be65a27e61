package io.hnswseg.routing;

import io.hnswseg.distance.Metric;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

    /**
     * Distances 1e8 + 1 and 1e8 + 0.25 are one float (its unit there is 8): the float kernels tie them, and which
     * centroid wins then depends on their rounding, which differs between machines. Decided reproducibly, the
     * nearer wins, as double precision ranks them.
     */
    @Test
    void aNearTieIsDecidedInDoublePrecision() {
        Centroids l2 = new Centroids(Metric.L2, 2, new float[]{0, 1, 0, -0.5f}, null);
        float[] v = {1e4f, 0};
        float[] distances = new float[2];
        assertEquals(distances(l2, v)[0], distances(l2, v)[1], "a tie in float");
        assertEquals(0, l2.nearest(v, 0, l2.newScratch(), distances));
        assertEquals(1, l2.nearestReproducibly(v, 0, l2.newScratch(), distances));
        Centroids biased = new Centroids(Metric.L2, 2, new float[]{0, 1, 0, -0.5f}, new float[]{-1e8f, -1e8f});
        assertEquals(1, biased.nearestReproducibly(v, 0, biased.newScratch(), distances));
        // By direction: 1e-4 and 5e-5 radians from (1, 1), 1 - cos of 5e-9 and 1.25e-9, below float's resolution
        // near 1 (6e-8): float kernels rank them by their rounding (the 512-bit ones ranked centroid 1 first). Decided
        // reproducibly, the centroids as stored (unit length to float precision) rank as double precision ranks them.
        double b = Math.PI / 4;
        float[] rows = {(float) Math.cos(b + 1e-4), (float) Math.sin(b + 1e-4), (float) Math.cos(b - 5e-5), (float) Math.sin(b - 5e-5)};
        Centroids ip = new Centroids(Metric.IP, 2, rows, null);
        float[] stored = ip.vectors();
        double dot0 = (stored[0] + (double) stored[1]) / Math.sqrt(2);
        double dot1 = (stored[2] + (double) stored[3]) / Math.sqrt(2);
        assertEquals(dot0 >= dot1 ? 0 : 1, ip.nearestReproducibly(new float[]{1, 1}, 0, ip.newScratch(), distances));
    }

    /**
     * Replication decided alike everywhere too: differences and second places within float rounding (1e8 + 1 and
     * 1e8 + 2.25 are one float) are judged in double precision.
     */
    @Test
    void aReplicaNearTheGapOrASecondPlaceTieIsDecidedInDoublePrecision() {
        float[] v = {1e4f, 0};
        float[] distances = new float[3];
        Centroids two = new Centroids(Metric.L2, 2, new float[]{0, 1, 0, -1.5f}, null);
        int best = two.nearestReproducibly(v, 0, two.newScratch(), distances);
        assertEquals(0, best);
        assertEquals(distances[0], distances[1], "the float distances tie");
        assertEquals(-1, two.replicaReproducibly(v, 0, distances, best, 1.2f), "1.25 apart: beyond a gap of 1.2");
        assertEquals(1, two.replicaReproducibly(v, 0, distances, best, 1.3f));
        // Second place: 1e8 + 1 and 1e8 + 0.25 tie in float behind 1e8; the nearer, centroid 2, takes the replica.
        Centroids three = new Centroids(Metric.L2, 2, new float[]{0, 0, 0, 1, 0, -0.5f}, null);
        best = three.nearestReproducibly(v, 0, three.newScratch(), distances);
        assertEquals(0, best);
        assertEquals(2, three.replicaReproducibly(v, 0, distances, best, 10f));
    }

    @Test
    void withoutNearTiesTheReproducibleNearestIsTheNearest() {
        SplittableRandom random = new SplittableRandom(7);
        int dim = 32;
        float[] centroids = new float[16 * dim];
        for (int i = 0; i < centroids.length; i++) {
            centroids[i] = (float) random.nextGaussian();
        }
        for (Metric metric : new Metric[]{Metric.L2, Metric.COSINE}) {
            Centroids c = new Centroids(metric, dim, centroids, null);
            float[] v = new float[dim];
            float[] distances = new float[16];
            for (int r = 0; r < 10_000; r++) {
                for (int i = 0; i < dim; i++) {
                    v[i] = (float) random.nextGaussian();
                }
                assertEquals(c.nearest(v, 0, c.newScratch(), distances), c.nearestReproducibly(v, 0, c.newScratch(), distances));
            }
        }
    }

    private static float[] distances(Centroids c, float[] v) {
        float[] d = new float[c.count()];
        c.distances(v, 0, c.newScratch(), d);
        return d;
    }
}
