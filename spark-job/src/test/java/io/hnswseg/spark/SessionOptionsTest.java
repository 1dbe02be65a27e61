package io.hnswseg.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session's settings as the user gave them (probe helper 48 found two of them dropped without a word). */
class SessionOptionsTest {

    @TempDir
    Path dir;

    @Test
    void aMasterInTheSettingsOrFromSparkSubmitIsKeptAndOnlyNoneAtAllIsLocal() throws IOException {
        SessionOptions options = new SessionOptions();
        assertEquals("local[*]", options.master(options.settings(), false));
        assertNull(options.master(options.settings(), true), "spark-submit's master stands");
        options.sparkProperties.put("spark.master", "local[1]");
        assertNull(options.master(options.settings(), false), "a --conf spark.master is set with the other settings");
        options.sparkProperties.clear();
        options.propertiesFile = Files.writeString(dir.resolve("my.conf"), "spark.master  local[1]\n");
        assertEquals("local[1]", options.settings().get("spark.master"));
        assertNull(options.master(options.settings(), false), "the properties file's master");
        options.master = "local[2]";
        assertEquals("local[2]", options.master(options.settings(), false), "--master wins");
    }

    @Test
    void aKeyOutsideSparkIsAHadoopSettingInTheFileAndOnTheCommandLine() throws IOException {
        SessionOptions options = new SessionOptions();
        options.propertiesFile = Files.writeString(dir.resolve("s3.conf"), "fs.s3a.endpoint http://127.0.0.1:9000\n"
                + "spark.hadoop.fs.s3a.path.style.access true\nspark.task.cpus 2\n");
        options.sparkProperties.put("fs.s3a.endpoint", "http://127.0.0.1:9001");
        Map<String, String> settings = options.settings();
        assertEquals(Map.of("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:9001", "spark.hadoop.fs.s3a.path.style.access", "true",
                "spark.task.cpus", "2"), settings, "the --conf after the file, each key as Spark takes it");
    }

    /** Probe helper 54: a Brotli-compressed file was told as the codec class's name alone; BYTE_STREAM_SPLIT without a way round. */
    /** The store's words alone named no bucket or key: "Forbidden (Service: S3, Status Code: 403 ...)" (probe helper 74). */
    @Test
    void theJobsAreNamedAsTypedAndTellTheirVersion() {
        // Probe helper 81: "Usage: build", and -V printed nothing.
        assertTrue(BuildIndexJob.commandLine().getUsageMessage().startsWith("Usage: hnswseg build [-hV]"));
        assertTrue(SearchIndexJob.commandLine().getUsageMessage().startsWith("Usage: hnswseg search-job [-hV]"));
        assertTrue(VacuumIndexJob.commandLine().getUsageMessage().startsWith("Usage: hnswseg vacuum [-hV]"));
        assertEquals(io.hnswseg.cli.UsageErrors.VERSION, VacuumIndexJob.commandLine().getCommandSpec().version()[0]);
    }

    /** A job stopped by a signal: Spark's words named a job number; ours name the signal. */
    @Test
    void aSessionShutDownUnderAJobIsSaidToBeASignal() {
        String said = SessionOptions.explain(new RuntimeException("Job 4 cancelled because SparkContext was shut down"));
        assertTrue(said.startsWith("stopped: the Spark session was shut down under the job"), said);
    }

    @Test
    void anS3FailureNamesItsPath() {
        Exception denied = new IOException("s3a://bkt/idx/x: getFileStatus on s3a://bkt/idx/x: software.amazon...: Forbidden",
                new RuntimeException("Forbidden (Service: S3, Status Code: 403, Request ID: 1)"));
        assertEquals("s3a://bkt/idx/x: Forbidden (Service: S3, Status Code: 403, Request ID: 1)", SessionOptions.explain(denied));
    }

    /** Probe helper 90: an HDFS namenode down was "Connection refused", naming no host. */
    @Test
    void anUnreachableHadoopServiceIsNamed() {
        Exception down = new java.net.ConnectException("Call From box/10.0.0.1 to localhost:9999 failed on connection exception:"
                + " java.net.ConnectException: Connection refused; For more details see:  http://wiki.apache.org/hadoop/ConnectionRefused");
        down.initCause(new java.net.ConnectException("Connection refused"));
        assertEquals("cannot reach localhost:9999 (Connection refused)", SessionOptions.explain(new IOException("wrapped", down)));
    }

    @Test
    void parquetFeaturesThisSparkLacksAreSaidWithWhatToDo() {
        Exception brotli = new RuntimeException("Job aborted: Encountered error while reading file file:///t/b.parquet. SQLSTATE: KD001",
                new RuntimeException("wrapped", new ClassNotFoundException("org.apache.hadoop.io.compress.BrotliCodec")));
        assertEquals("reading file:///t/b.parquet: the file is compressed with Brotli, for which this Hadoop has no codec: write it"
                + " with zstd, snappy, gzip or lz4", SessionOptions.explain(brotli));
        Exception split = new RuntimeException(new UnsupportedOperationException("Unsupported encoding: BYTE_STREAM_SPLIT"));
        assertEquals("Unsupported encoding: BYTE_STREAM_SPLIT (Spark's vectorized Parquet reader does not read this encoding; --conf"
                + " spark.sql.parquet.enableVectorizedReader=false reads it, slower, or write the file without it)", SessionOptions.explain(split));
    }

    /** Probe helper 93: a Spark without hadoop-aws said only that a class was not found. */
    @Test
    void aSparkWithoutS3aSaysWhatToAdd() {
        Exception missing = new RuntimeException(new ClassNotFoundException("Class org.apache.hadoop.fs.s3a.S3AFileSystem not found"));
        String said = SessionOptions.explain(missing);
        assertTrue(said.contains("no S3A connector") && said.contains("--packages org.apache.hadoop:hadoop-aws:"
                + org.apache.hadoop.util.VersionInfo.getVersion()), said);
    }

    /** Probe helper 87: 1,024 partitions' recall answers overran the driver's result limit, and the error said no way out. */
    @Test
    void tooLargeResultsForTheDriverAreExplained() {
        Exception big = new RuntimeException("Job aborted due to stage failure: Total size of serialized results of 788 tasks"
                + " (1024.5 MiB) is bigger than spark.driver.maxResultSize (1024.0 MiB)");
        String said = SessionOptions.explain(big);
        assertTrue(said.contains("lower --eval-queries") && said.contains("--conf spark.driver.maxResultSize="), said);
    }
}
