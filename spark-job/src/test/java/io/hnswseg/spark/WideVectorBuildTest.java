package io.hnswseg.spark;

import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.reader.IndexReader;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A table of 3,072-d vectors (the size of large text embeddings) built with the defaults: no
 * {@code --partitions}, so the partitions, the sample and the recall measurement are all sized by the job
 * itself, in local[2] under surefire's 3 GB heap.
 */
class WideVectorBuildTest {

    @TempDir
    Path tmp;

    @Test
    void aTableOf3072DimensionalVectorsBuildsWithTheDefaults() throws Exception {
        int dim = 3_072;
        FloatMatrix[] data = JobFixtures.clustered(3_000, 50, dim, 13);
        SparkSession spark = JobFixtures.session("local[2]").getOrCreate();
        Path table = tmp.resolve("table");
        Path index = tmp.resolve("index");
        Map<String, Object> summary;
        try {
            List<WideRow> rows = new ArrayList<>();
            for (int r = 0; r < data[0].rows(); r++) {
                rows.add(new WideRow(r, data[0].row(r)));
            }
            long t1 = System.nanoTime();
            spark.createDataset(rows, Encoders.bean(WideRow.class)).write().parquet(table.toString());
            rows = null;
            assertEquals("struct<id:bigint,vector:array<float>>", spark.read().parquet(table.toString()).schema().simpleString());
            System.out.printf("table written in %.1f s%n", (System.nanoTime() - t1) / 1e9);
            resetPeaks();
            summary = JobFixtures.runJob(spark, "--input", table.toString(), "--output", index.toString());
        } finally {
            spark.stop();
        }
        System.out.printf("3,072-d build: %s; heap peak (old generation) %d MB of %d MB%n", summary, oldGenPeak() >> 20,
                Runtime.getRuntime().maxMemory() >> 20);

        IndexManifest manifest = JobFixtures.manifest(index);
        assertEquals(dim, manifest.dimension());
        assertEquals(3_000, manifest.totalCount());
        assertTrue(((Number) summary.get("partitions")).intValue() >= 2, "at least one partition per core of local[2]: " + summary);
        assertEquals(manifest.segments().size(), ((Number) summary.get("segments")).intValue());
        try (IndexReader reader = IndexReader.open(index.toString())) {
            assertEquals(dim, reader.dimension());
            double recall = ClusterFaultTest.recall(reader, data[0], data[1]);
            assertTrue(recall >= 0.9, "recall@10 " + recall + " at the reader's defaults");
        }
    }

    /** One row of the table: {@code id bigint, vector array<float>}. */
    public static final class WideRow implements java.io.Serializable {
        private long id;
        private float[] vector;

        public WideRow() {
        }

        WideRow(long id, float[] vector) {
            this.id = id;
            this.vector = vector;
        }

        public long getId() {
            return id;
        }

        public void setId(long id) {
            this.id = id;
        }

        public float[] getVector() {
            return vector;
        }

        public void setVector(float[] vector) {
            this.vector = vector;
        }
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
    }

    /** Peak use of the heap's old generation pool(s) since {@link #resetPeaks()}. */
    private static long oldGenPeak() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            String name = pool.getName().toLowerCase(java.util.Locale.ROOT);
            if (pool.getType() == MemoryType.HEAP && (name.contains("old") || name.contains("tenured"))) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }
}
