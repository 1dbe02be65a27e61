package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job in Spark's local-cluster mode: a master, two workers and two executor JVMs on this machine, so
 * segments are built in processes other than the driver, as on a real cluster. Spark starts executors from
 * a SPARK_HOME; the test lays one out under target/ from the jars on its own classpath.
 */
class LocalClusterTest {

    @TempDir
    Path tmp;

    /** SPARK_HOME as surefire sets it, filled with links to the Spark jars of the test classpath. */
    static String sparkHome(List<String> appEntries) throws IOException {
        String home = System.getenv("SPARK_HOME");
        Assumptions.assumeTrue(home != null && "2.13".equals(System.getenv("SPARK_SCALA_VERSION")),
                "local-cluster needs SPARK_HOME and SPARK_SCALA_VERSION=2.13 (set by the spark-job surefire configuration)");
        Path jars = Path.of(home, "jars");
        Files.createDirectories(jars);
        Files.write(Path.of(home, "RELEASE"), new byte[0]);
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            boolean app = Files.isDirectory(p) || entry.contains("hnswseg") || entry.contains("picocli") || entry.contains("junit")
                    || entry.contains("opentest4j") || entry.contains("apiguardian");
            if (app) {
                appEntries.add(entry);
            } else if (entry.endsWith(".jar") && !Files.exists(jars.resolve(p.getFileName()))) {
                Files.createSymbolicLink(jars.resolve(p.getFileName()), p.toAbsolutePath());
            }
        }
        return home;
    }

    @Test
    void segmentsAreBuiltInExecutorJvms() throws IOException {
        List<String> app = new ArrayList<>();
        sparkHome(app);
        FloatMatrix[] data = JobFixtures.clustered(4_000, 50, 16, 4);
        Path input = JobFixtures.writeFvecs(tmp.resolve("base.fvecs"), data[0]);
        String opens = System.getProperty("hnswseg.spark.opens", "");
        SparkSession spark = JobFixtures.session("local-cluster[2,1,1024]")
                .config("spark.executor.extraClassPath", String.join(File.pathSeparator, app))
                .config("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector " + opens)
                .config("spark.executor.memory", "768m")
                .getOrCreate();
        try {
            // Wait for both executors to register, so the tasks cannot all land on the first.
            for (int i = 0; i < 300 && spark.sparkContext().getExecutorMemoryStatus().size() < 3; i++) {
                Thread.sleep(100);
            }
            assertEquals(3, spark.sparkContext().getExecutorMemoryStatus().size(), "driver + 2 executors");
            JobFixtures.runJob(spark, "--input", input.toString(), "--output", tmp.resolve("index").toString(), "--partitions", "4");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            spark.stop();
        }
        IndexManifest manifest = JobFixtures.manifest(tmp.resolve("index"));
        assertEquals(4, manifest.segments().size());
        assertEquals(4_000, manifest.totalCount());
        double recall = JobFixtures.recall(tmp.resolve("index"), data[0], data[1], Metric.L2);
        assertTrue(recall >= 0.95, "recall@10 " + recall);
    }
}
