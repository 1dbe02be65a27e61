package io.hnswseg.spark;

import io.hnswseg.io.FloatMatrix;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sample of an fvecs/bvecs input is a uniform one: k-means trained on runs of neighbouring rows (alike in
 * real files, which hold their vectors image by image or document by document) routes worse.
 */
class VecsSampleTest {

    private static final int ROWS = 20_000;

    @TempDir
    static Path tmp;
    private static SparkSession spark;
    private static VecsInput vecs;

    @BeforeAll
    static void start() throws Exception {
        spark = JobFixtures.session("local[2]").getOrCreate();
        // Row i is (i, -i): a sampled row's vector tells which row it is.
        float[] data = new float[ROWS * 2];
        for (int i = 0; i < ROWS; i++) {
            data[2 * i] = i;
            data[2 * i + 1] = -i;
        }
        Path file = JobFixtures.writeFvecs(tmp.resolve("rows.fvecs"), new FloatMatrix(2, ROWS, data));
        vecs = VecsInput.open(file.toString(), "fvecs", new Configuration(), "input");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static long[] sampledRows(int tasks, int wanted, long seed) {
        List<Sample.Part> parts = InputSample.vecsRows(JavaSparkContext.fromSparkContext(spark.sparkContext()), vecs, tasks,
                wanted, seed, Map.of());
        return parts.stream().flatMap(p -> Arrays.stream(p.vectors)).mapToLong(v -> {
            assertEquals(-v[0], v[1], 0f, "a row's vector, whole");
            return (long) v[0];
        }).sorted().toArray();
    }

    @Test
    void everyRowRangeIsSampledRowByRowNotInRuns() {
        long[] rows = sampledRows(4, 2_000, 7);
        assertEquals(2_000, rows.length, "ceil(2000 / 4) rows from each of 4 tasks");
        assertEquals(rows.length, Arrays.stream(rows).distinct().count(), "no row twice");
        // Uniform at 10%: about one sampled row in ten has its successor sampled too. Runs of rows: nearly all.
        long adjacent = 0;
        for (int i = 1; i < rows.length; i++) {
            adjacent += rows[i] == rows[i - 1] + 1 ? 1 : 0;
        }
        assertTrue(adjacent < rows.length / 5, adjacent + " of " + rows.length + " sampled rows follow a sampled row");
        // Every stretch of 1,000 rows gets about its 100.
        int[] perStretch = new int[ROWS / 1_000];
        for (long r : rows) {
            perStretch[(int) (r / 1_000)]++;
        }
        for (int s = 0; s < perStretch.length; s++) {
            assertTrue(perStretch[s] > 60 && perStretch[s] < 140, "rows " + s * 1_000 + "..: " + perStretch[s] + " sampled");
        }
    }

    @Test
    void theSameSeedTakesTheSameRowsAndAnotherOthers() {
        long[] a = sampledRows(3, 500, 11);
        assertEquals(501, a.length, "ceil(500 / 3) rows from each of 3 tasks");
        assertArrayEquals(a, sampledRows(3, 500, 11));
        long[] b = sampledRows(3, 500, 12);
        assertTrue(Arrays.stream(a).filter(r -> Arrays.binarySearch(b, r) >= 0).count() < 100, "another seed, mostly other rows");
    }

    @Test
    void aSampleLargerThanTheFileTakesEveryRow() {
        assertArrayEquals(java.util.stream.LongStream.range(0, ROWS).toArray(), sampledRows(2, ROWS * 2, 1));
    }
}
