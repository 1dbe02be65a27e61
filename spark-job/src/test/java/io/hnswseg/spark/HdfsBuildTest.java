package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.Leases;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jobs on HDFS, as the README says they run: a namenode and a datanode in this JVM (MiniDFSCluster). A build from
 * and to hdfs://, a batch search there, a rebuild in place while a search's lease holds the replaced build's files, and
 * vacuum keeping them until the lease ends (probe helper 90 ran the README's HDFS claims, never tested before).
 */
class HdfsBuildTest {

    @TempDir
    static Path tmp;
    private static MiniDFSCluster cluster;
    private static FileSystem fs;
    private static String hdfs;
    private static SparkSession spark;
    private static FloatMatrix[] data;

    @BeforeAll
    static void start() throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("dfs").toString());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        fs = cluster.getFileSystem();
        hdfs = fs.getUri().toString();
        data = JobFixtures.clustered(4_000, 200, 16, 23);
        fs.copyFromLocalFile(path(JobFixtures.writeFvecs(tmp.resolve("base.fvecs"), data[0])), path(hdfs + "/data/base.fvecs"));
        fs.copyFromLocalFile(path(JobFixtures.writeFvecs(tmp.resolve("query.fvecs"), data[1])), path(hdfs + "/data/query.fvecs"));
        spark = JobFixtures.session("local[2]").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    private static org.apache.hadoop.fs.Path path(Object uri) {
        return uri instanceof Path p ? new org.apache.hadoop.fs.Path(p.toUri()) : new org.apache.hadoop.fs.Path(uri.toString());
    }

    private static IndexManifest manifest(String index) throws IOException {
        try (var in = fs.open(path(index + "/" + IndexManifest.FILE_NAME))) {
            return IndexManifest.parse(in.readAllBytes(), index);
        }
    }

    private static Set<String> dataFiles(String index) throws IOException {
        Set<String> files = new TreeSet<>();
        for (String dir : new String[]{"segments", "routing"}) {
            for (var f : fs.listStatus(path(index + "/" + dir))) {
                files.add(dir + "/" + f.getPath().getName());
            }
        }
        return files;
    }

    /** The namenode under another of its names is the same file system: the output inside the input is refused (probe helper 90). */
    @Test
    void anOutputInsideTheInputUnderAnotherNameOfTheNamenodeIsRefused() {
        String other = hdfs.contains("localhost") ? hdfs.replace("localhost", "127.0.0.1") : hdfs.replace("127.0.0.1", "localhost");
        assertFalse(other.equals(hdfs), hdfs);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
                () -> Overlap.refuseWithin(conf, "--output", other + "/data/idx", "--input", hdfs + "/data"));
        assertTrue(e.getMessage().contains("--input " + hdfs + "/data"), e.getMessage());
    }

    @Test
    void buildSearchRebuildAndVacuumOnHdfs() throws IOException {
        String index = hdfs + "/indexes/idx";
        JobFixtures.runJob(spark, "--input", hdfs + "/data/base.fvecs", "--output", index, "--partitions", "2", "--eval-queries", "100");
        IndexManifest first = manifest(index);
        assertEquals(data[0].rows(), first.totalCount());
        assertEquals(JobFixtures.listed(first), dataFiles(index), "the index holds exactly what its manifest lists");
        // Read back from HDFS, it answers as an index should.
        Path copy = tmp.resolve("copy");
        fs.copyToLocalFile(false, path(index), path(copy), true);
        double recall = JobFixtures.recall(copy, data[0], data[1], Metric.L2);
        assertTrue(recall > 0.95, "recall@10 " + recall);

        // The batch search reads the index and the queries there, and commits its results there.
        SearchIndexJob search = new SearchIndexJob();
        new CommandLine(search).parseArgs("--index", index, "--queries", hdfs + "/data/query.fvecs", "--output", hdfs + "/results",
                "--k", "5");
        assertEquals(data[1].rows(), search.run(spark, search.options()));
        assertTrue(fs.exists(path(hdfs + "/results/_SUCCESS")));
        assertEquals(data[1].rows(), spark.read().parquet(hdfs + "/results").count());

        // A rebuild in place while a search holds the first build: vacuum keeps that build's files for it, and takes
        // them once its lease has ended.
        try (BuildLease held = BuildLease.takeForReading(fs, path(index), Leases.filesOf(first).keySet(), "search")) {
            JobFixtures.runJob(spark, "--input", hdfs + "/data/base.fvecs", "--output", index, "--partitions", "3",
                    "--eval-queries", "0", "--overwrite");
            IndexManifest second = manifest(index);
            assertEquals(3, second.segments().size());
            assertEquals(0, JobFixtures.vacuum(index, "--older-than", "0"));
            Set<String> both = new TreeSet<>(JobFixtures.listed(first));
            both.addAll(JobFixtures.listed(second));
            assertEquals(both, dataFiles(index), "the held build's files stay beside the new one's");
        }
        assertEquals(0, JobFixtures.vacuum(index, "--older-than", "0"));
        assertEquals(JobFixtures.listed(manifest(index)), dataFiles(index));
        assertFalse(dataFiles(index).stream().anyMatch(JobFixtures.listed(first)::contains), "the first build's files are gone");
    }
}
