package io.hnswseg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsFormat;
import io.hnswseg.io.VecsReader;
import io.hnswseg.io.VecsWriter;
import io.hnswseg.reader.TestIndexes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands as a user runs them: generate a dataset, bench it, index it, query and eval the index. */
class CliTest {

    @TempDir
    Path tmp;

    private static int run(String... args) {
        return HnswsegCli.commandLine().execute(args);
    }

    @Test
    void generateBenchQueryEvalWithTheirJson() throws Exception {
        Path data = tmp.resolve("data");
        assertEquals(0, run("generate", "--out", data.toString(), "--rows", "3000", "--dim", "16", "--queries", "50"));
        Path benchJson = tmp.resolve("bench.json");
        assertEquals(0, run("bench", "--base", data.resolve("base.fvecs").toString(), "--queries", data.resolve("query.fvecs").toString(),
                "--groundtruth", data.resolve("groundtruth.ivecs").toString(), "--ef", "10,40", "--threads", "2",
                "--warmup", "500", "--json", benchJson.toString()));
        JsonNode bench = new ObjectMapper().readTree(benchJson.toFile());
        for (String field : List.of("vectors", "threads", "m", "ef_construction", "build_seconds", "vectors_per_second")) {
            assertTrue(bench.has(field), "bench JSON has " + field);
        }
        assertEquals(3000, bench.get("vectors").asInt());
        assertEquals(2, bench.get("runs").size());
        for (String field : List.of("ef", "recall_at_10", "qps", "mean_ms", "p99_ms")) {
            assertTrue(bench.get("runs").get(1).has(field), "bench run has " + field);
        }
        assertTrue(bench.get("runs").get(1).get("recall_at_10").asDouble() >= 0.95, bench.toString());

        Path index = tmp.resolve("index");
        TestIndexes.write(index, VecsReader.readFloats(data.resolve("base.fvecs"), Integer.MAX_VALUE), 2,
                new HnswParams(16, 100, 1, Metric.L2), 1);
        Path evalJson = tmp.resolve("eval.json");
        assertEquals(0, run("eval", "--index", index.toString(), "--queries", data.resolve("query.fvecs").toString(),
                "--groundtruth", data.resolve("groundtruth.ivecs").toString(), "--k", "10", "--ef", "20,64", "--clients", "2",
                "--json", evalJson.toString()));
        JsonNode eval = new ObjectMapper().readTree(evalJson.toFile());
        assertEquals(2, eval.get("segments").asInt());
        assertEquals(3000, eval.get("vectors").asInt());
        for (String field : List.of("ef", "recall_at_10", "qps", "qps_concurrent", "mean_ms", "p50_ms", "p99_ms")) {
            assertTrue(eval.get("runs").get(1).has(field), "eval run has " + field);
        }
        assertTrue(eval.get("runs").get(1).get("recall_at_10").asDouble() >= 0.95, eval.toString());
        // 50 queries take about a millisecond: a pass repeats them until it can be timed.
        int perPass = eval.get("runs").get(0).get("queries_per_pass").asInt();
        assertTrue(perPass > 50 && perPass % 50 == 0, eval.toString());
        // Without --ef: the fixed grid and the index's own ef (64 for an index that recommends none), as query searches.
        assertEquals(0, run("eval", "--index", index.toString(), "--queries", data.resolve("query.fvecs").toString(),
                "--groundtruth", data.resolve("groundtruth.ivecs").toString(), "--k", "10", "--clients", "1", "--reps", "1",
                "--json", evalJson.toString(), "--overwrite"));
        List<Integer> efs = new ArrayList<>();
        new ObjectMapper().readTree(evalJson.toFile()).get("runs").forEach(r -> efs.add(r.get("ef").asInt()));
        assertEquals(List.of(10, 20, 40, 64, 80, 160, 320), efs);

        int[][] results = queryToIvecs(index, data.resolve("query.fvecs"), 5, 32, "results.ivecs");
        assertEquals(50, results.length);
        assertEquals(5, results[0].length);
        // More neighbours asked than the index holds: every record still has k entries, -1 after the 3,000 found.
        int[][] padded = queryToIvecs(index, data.resolve("query.fvecs"), 3100, 3100, "all.ivecs");
        assertEquals(50, padded.length);
        assertEquals(3100, padded[7].length);
        assertEquals(3000, java.util.Arrays.stream(padded[7]).limit(3000).filter(id -> id >= 0).distinct().count());
        assertTrue(java.util.Arrays.stream(padded[7]).skip(3000).allMatch(id -> id == -1));
        Path huge = tmp.resolve("huge.ivecs");
        assertEquals(1, run("query", "--index", index.toString(), "--queries", data.resolve("query.fvecs").toString(),
                "--k", "2000000000", "--ef", "2000000000", "--out", huge.toString()));
        assertTrue(!Files.exists(huge) && temporaryFiles().isEmpty());
        assertEquals(0, run("inspect", index.toString(), "--verify"));

        // Ids past int32 cannot go into an .ivecs file: the run fails once the temporary file is open, removes
        // it, and leaves the results of an earlier run where they were.
        Path wide = tmp.resolve("wide-ids");
        TestIndexes.write(wide, VecsReader.readFloats(data.resolve("base.fvecs"), Integer.MAX_VALUE), 2,
                new HnswParams(16, 100, 1, Metric.L2), 1, 3_000_000_000L);
        Path earlier = tmp.resolve("results.ivecs");
        byte[] before = Files.readAllBytes(earlier);
        // A user's file of the name a fixed temporary name would take (it was results.ivecs.tmp) is not touched.
        Path users = Files.writeString(tmp.resolve("results.ivecs.tmp"), "mine");
        assertEquals(1, run("query", "--index", wide.toString(), "--queries", data.resolve("query.fvecs").toString(),
                "--k", "5", "--ef", "32", "--out", earlier.toString(), "--overwrite"));
        assertArrayEquals(before, Files.readAllBytes(earlier), "the earlier results are kept");
        assertEquals("mine", Files.readString(users));
        Files.delete(users);
        assertEquals(List.of(), temporaryFiles(), "the temporary file is removed");
    }

    private List<String> temporaryFiles() throws java.io.IOException {
        try (var files = Files.list(tmp)) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".tmp")).toList();
        }
    }

    /** Runs {@code query --out} into {@code name} under the test's directory and reads the records back. */
    private int[][] queryToIvecs(Path index, Path queries, int k, int ef, String name) throws java.io.IOException {
        Path out = tmp.resolve(name);
        assertEquals(0, run("query", "--index", index.toString(), "--queries", queries.toString(), "--k", String.valueOf(k),
                "--ef", String.valueOf(ef), "--out", out.toString()));
        return VecsReader.readInts(out);
    }

    @Test
    void userErrorsAreOneLineAndExitOne() throws Exception {
        String message = error("eval", "--index", tmp.resolve("missing").toString(), "--queries", tmp.resolve("q.fvecs").toString(),
                "--groundtruth", tmp.resolve("g.ivecs").toString());
        assertTrue(message.startsWith("hnswseg eval: error: ") && message.contains("q.fvecs"), message);
        // An option the command cannot take: its reason and where the options are, not the whole usage after it.
        message = usageError("bench", "--no-such-option");
        assertTrue(message.startsWith("hnswseg bench: error: unknown option --no-such-option; Missing required options")
                && message.contains("hnswseg bench --help lists the options"), message);
        message = usageError("query", "--index", "x", "--queries", "q.fvecs", "--nprobe", "two");
        assertTrue(message.contains("'--nprobe': 'two' is not an int"), message);
        assertTrue(usageError("evl").contains("Did you mean: hnswseg eval?"));
        // The commands bin/hnswseg runs itself are known too (probe helper 81: "vacum" was offered eval).
        message = usageError("vacum", "/tmp/x");
        assertTrue(message.startsWith("hnswseg: error: unknown command 'vacum'") && message.contains("hnswseg vacuum")
                && message.contains("hnswseg --help lists the commands"), message);
        ByteArrayOutputStream version = new ByteArrayOutputStream();
        var cli = HnswsegCli.commandLine();
        cli.setOut(new PrintWriter(version, true));
        assertEquals(0, cli.execute("query", "--version"));
        assertEquals(UsageErrors.VERSION, version.toString().strip(), "a subcommand's --version printed nothing");

        Path data = tmp.resolve("data");
        assertEquals(0, run("generate", "--out", data.toString(), "--rows", "200", "--dim", "16", "--queries", "5"));
        Path index = tmp.resolve("index");
        TestIndexes.write(index, VecsReader.readFloats(data.resolve("base.fvecs"), Integer.MAX_VALUE), 2,
                new HnswParams(16, 100, 1, Metric.L2), 1);
        Path narrow = tmp.resolve("narrow");
        assertEquals(0, run("generate", "--out", narrow.toString(), "--rows", "20", "--dim", "8", "--queries", "5"));
        Path narrowQueries = narrow.resolve("query.fvecs");
        message = error("query", "--index", index.toString(), "--queries", narrowQueries.toString());
        assertTrue(message.contains(narrowQueries + ": queries of dimension 8") && message.contains("dimension 16"), message);
        // Flags named as the user typed them, not as Java fields (probe helper 72).
        String queries = data.resolve("query.fvecs").toString();
        message = error("query", "--index", index.toString(), "--queries", queries, "--search-threads", "0");
        assertTrue(message.contains("--search-threads must be in 1..1024, got 0"), message);
        message = error("query", "--index", index.toString(), "--queries", queries, "--s3-endpoint", "not a url");
        assertTrue(message.contains("--s3-endpoint not a url is not a URL"), message);
        message = error("query", "--index", index.toString(), "--queries", queries, "--cache-dir", queries);
        assertTrue(message.contains("--cache-dir " + queries + " is a file"), message);
        message = error("serve", "--index", index.toString(), "--http-threads", "0");
        assertTrue(message.contains("--http-threads must be at least 1, got 0"), message);
        // Refused before the index is opened (of an S3 index, every segment was downloaded first: probe helper 102).
        message = error("serve", "--index", tmp.resolve("no-such-index").toString(), "--port", "70000");
        assertTrue(message.contains("--port must be in 0..65535 (0: any free port), got 70000"), message);
        message = error("serve", "--index", index.toString(), "--bind", "");
        assertTrue(message.contains("--bind must name an address"), message);
        // The startup line's URL is one a client can use (it printed http://::1:8080).
        assertEquals("http://[::1]:8080", ServeCommand.where("::1", 8080));
        assertEquals("http://[::1]:8080", ServeCommand.where("[::1]", 8080));
        assertEquals("http://localhost:80", ServeCommand.where("localhost", 80));
        assertEquals("every interface, port 80 (this host: http://[::1]:80)", ServeCommand.where("::", 80));
        assertEquals("every interface, port 80 (this host: http://127.0.0.1:80)", ServeCommand.where("0.0.0.0", 80));
        assertEquals("every interface, port 80 (this host: http://[::1]:80)", ServeCommand.where("[::0]", 80));
        assertEquals("http://[fe80::1%25eth0]:80", ServeCommand.where("fe80::1%eth0", 80));
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            message = error("serve", "--index", tmp.resolve("no-such-index").toString(), "--port", String.valueOf(taken.getLocalPort()));
            assertTrue(message.contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), message);
        }
        message = error("serve", "--index", index.toString(), "--idle-timeout", "0");
        assertTrue(message.contains("--idle-timeout must be above 0"), message);
        message = usageError("serve", "--index", index.toString(), "--idle-timeout", "9999999999999999m");
        assertTrue(message.contains("'9999999999999999m' is too long a duration"), message);
        message = error("eval", "--index", index.toString(), "--queries", narrowQueries.toString(),
                "--groundtruth", narrow.resolve("groundtruth.ivecs").toString());
        assertTrue(message.contains(narrowQueries + ": queries of dimension 8"), message);
        // A bad query is named by its file and row before any is searched.
        FloatMatrix good = VecsReader.readFloats(data.resolve("query.fvecs"), Integer.MAX_VALUE);
        float[] bad = good.data().clone();
        java.util.Arrays.fill(bad, 2 * 16, 3 * 16, 1e19f);
        Path badQueries = tmp.resolve("bad-queries.fvecs");
        try (VecsWriter w = new VecsWriter(Files.newOutputStream(badQueries), VecsFormat.FVECS)) {
            for (int r = 0; r < good.rows(); r++) {
                w.writeFloats(bad, r * 16, 16);
            }
        }
        message = error("query", "--index", index.toString(), "--queries", badQueries.toString());
        assertTrue(message.contains(badQueries + ": row 2 has length") && message.contains("overflow"), message);
        // k is checked before the index is opened: the missing index is not what fails.
        message = error("query", "--index", tmp.resolve("missing").toString(), "--queries", data.resolve("query.fvecs").toString(),
                "--k", "0");
        assertTrue(message.contains("--k must be > 0, got 0"), message);
        message = error("query", "--index", index.resolve("manifest.json").toString(), "--queries", data.resolve("query.fvecs").toString());
        assertTrue(message.contains("manifest.json is a file, not an index directory"), message);

        // Nothing already written is replaced by a typo: not the queries, not a dataset, not earlier results.
        byte[] queryBytes = Files.readAllBytes(data.resolve("query.fvecs"));
        message = error("query", "--index", index.toString(), "--queries", data.resolve("query.fvecs").toString(),
                "--out", data.resolve("query.fvecs").toString(), "--overwrite");
        assertTrue(message.contains("is a file this command reads"), message);
        message = error("query", "--index", index.toString(), "--queries", data.resolve("query.fvecs").toString(),
                "--out", data.resolve("groundtruth.ivecs").toString());
        assertTrue(message.contains("groundtruth.ivecs already exists: pass --overwrite"), message);
        message = error("generate", "--out", data.toString(), "--rows", "100", "--dim", "16", "--queries", "5");
        assertTrue(message.contains(data + " already holds base.fvecs: pass --overwrite"), message);
        assertArrayEquals(queryBytes, Files.readAllBytes(data.resolve("query.fvecs")));
        assertEquals(0, run("generate", "--out", data.toString(), "--rows", "100", "--dim", "16", "--queries", "5", "--overwrite"));
        assertEquals(100, VecsReader.readFloats(data.resolve("base.fvecs"), Integer.MAX_VALUE).rows());
    }

    /**
     * ip queries far shorter than the index's vectors are searched scaled up, but their distances come back as 1 - x.q,
     * all within rounding of one another: counted by distance, every result passed, and eval said 1.0000 where the ids
     * said 0.9094 (probe helper 72). Such queries count by id.
     */
    @Test
    void evalCountsShortIpQueriesById() throws Exception {
        java.util.Random random = new java.util.Random(11);
        float[] rows = new float[3_000 * 16];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (float) random.nextGaussian();
        }
        FloatMatrix base = new FloatMatrix(16, 3_000, rows);
        float[] queryRows = new float[100 * 16];
        for (int i = 0; i < queryRows.length; i++) {
            queryRows[i] = (float) (random.nextGaussian() * 1e-7);
        }
        FloatMatrix queries = new FloatMatrix(16, 100, queryRows);
        int[][] truth = io.hnswseg.eval.BruteForce.nearest(base, queries, 10, Metric.IP);
        JsonNode run = evalFirstRun("short-ip", base, new HnswParams(4, 8, 1, Metric.IP), queries, truth, 10);
        double byIds = run.get("recall_at_10_by_ids").asDouble();
        assertTrue(byIds < 0.97, "the data is hard enough at ef 10 for misses to show: " + run);
        assertEquals(byIds, run.get("recall_at_10").asDouble(), 1e-9, run.toString());
    }

    /**
     * Writes {@code name}-query.fvecs and {@code name}-truth.ivecs, an index {@code name}-index of {@code base} in 2 segments,
     * runs `eval` at {@code ef} into {@code name}.json and returns its first run.
     */
    private JsonNode evalFirstRun(String name, FloatMatrix base, HnswParams params, FloatMatrix queries, int[][] truth, int ef)
            throws Exception {
        Path queryFile = tmp.resolve(name + "-query.fvecs");
        Path truthFile = tmp.resolve(name + "-truth.ivecs");
        try (VecsWriter q = VecsWriter.create(queryFile); VecsWriter t = VecsWriter.create(truthFile)) {
            for (int r = 0; r < queries.rows(); r++) {
                q.writeFloats(queries.row(r));
                t.writeInts(truth[r]);
            }
        }
        Path index = tmp.resolve(name + "-index");
        TestIndexes.write(index, base, 2, params, 1);
        Path json = tmp.resolve(name + ".json");
        assertEquals(0, run("eval", "--index", index.toString(), "--queries", queryFile.toString(), "--groundtruth", truthFile.toString(),
                "--ef", String.valueOf(ef), "--reps", "1", "--json", json.toString()));
        return new ObjectMapper().readTree(json.toFile()).get("runs").get(0);
    }

    @Test
    void evalCountsAnEquallyNearNeighbourAsFound() throws Exception {
        // Vectors of 0s and 1s: every distance a whole number, so a query's 10th neighbour ties with dozens, and
        // which of them a ground truth lists is arbitrary: this one lists the last rows of a tie.
        java.util.Random random = new java.util.Random(9);
        float[] rows = new float[3_000 * 16];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = random.nextInt(2);
        }
        FloatMatrix base = new FloatMatrix(16, 3_000, rows);
        float[] queryRows = new float[60 * 16];
        for (int i = 0; i < queryRows.length; i++) {
            queryRows[i] = random.nextInt(2) + 0.25f * random.nextInt(2);
        }
        FloatMatrix queries = new FloatMatrix(16, 60, queryRows);
        float[] reversed = new float[rows.length];
        for (int r = 0; r < 3_000; r++) {
            System.arraycopy(rows, r * 16, reversed, (2_999 - r) * 16, 16);
        }
        int[][] truth = io.hnswseg.eval.BruteForce.nearest(new FloatMatrix(16, 3_000, reversed), queries, 10, Metric.L2);
        for (int[] t : truth) {
            for (int i = 0; i < t.length; i++) {
                t[i] = 2_999 - t[i];
            }
        }
        double evaluated = evalFirstRun("ties", base, new HnswParams(16, 100, 1, Metric.L2), queries, truth, 64).get("recall_at_10").asDouble();
        Path queryFile = tmp.resolve("ties-query.fvecs");
        Path index = tmp.resolve("ties-index");
        Path json = tmp.resolve("ties.json");

        // Counted here both ways on the same searches: by ids they score lower (the data is hard enough to tell).
        long byIds = 0;
        long byDistance = 0;
        try (io.hnswseg.reader.IndexReader reader = io.hnswseg.reader.IndexReader.open(index.toString())) {
            for (int r = 0; r < queries.rows(); r++) {
                io.hnswseg.hnsw.SearchResults found = reader.search(queries.row(r), 10, 64);
                float last = reader.exactSearch(queries.row(r), 10).distances()[9];
                for (int i = 0; i < found.ids().length; i++) {
                    long id = found.ids()[i];
                    byIds += java.util.Arrays.stream(truth[r]).anyMatch(t -> t == id) ? 1 : 0;
                    byDistance += found.distances()[i] <= last ? 1 : 0;
                }
            }
        }
        assertTrue(byIds < byDistance - 30, "by ids " + byIds + ", by distance " + byDistance + " of 600");
        assertEquals(byDistance / 600.0, evaluated, 1e-9);

        // A ground truth of other queries (rows shifted by one, as by an off-by-one): its ids are in the index, but
        // their distances from these queries are out of order, so it is not taken as this index's truth (probe
        // helper 23: counted by distance it read 0.99 where by ids it is near 0).
        Path shifted = tmp.resolve("shifted-truth.ivecs");
        try (VecsWriter t = VecsWriter.create(shifted)) {
            for (int r = 0; r < queries.rows(); r++) {
                t.writeInts(truth[(r + 1) % queries.rows()]);
            }
        }
        assertEquals(0, run("eval", "--index", index.toString(), "--queries", queryFile.toString(), "--groundtruth", shifted.toString(),
                "--ef", "64", "--reps", "1", "--json", json.toString(), "--overwrite"));
        JsonNode wrong = new ObjectMapper().readTree(json.toFile());
        assertEquals(10, wrong.get("k").asInt());
        assertTrue(wrong.get("runs").get(0).get("recall_at_10").asDouble() < 0.3, wrong.toString());
    }

    /**
     * Probe helper 28: {@code eval --json} named the queries file replaced it with JSON, {@code bench --json} the
     * ground truth; an earlier report went without a word. Refused now before any work, naming the option.
     */
    @Test
    void reportsNeverReplaceTheirInputsNorEarlierReports() throws Exception {
        Path data = tmp.resolve("data");
        assertEquals(0, run("generate", "--out", data.toString(), "--rows", "2000", "--dim", "8", "--queries", "20"));
        Path queries = data.resolve("query.fvecs");
        Path truth = data.resolve("groundtruth.ivecs");
        byte[] queryBytes = Files.readAllBytes(queries);
        byte[] truthBytes = Files.readAllBytes(truth);
        Path index = tmp.resolve("index");
        TestIndexes.write(index, VecsReader.readFloats(data.resolve("base.fvecs"), Integer.MAX_VALUE), 2, new HnswParams(8, 40, 1, Metric.L2), 1);
        String[] eval = {"eval", "--index", index.toString(), "--queries", queries.toString(), "--groundtruth", truth.toString(),
                "--ef", "20", "--reps", "1", "--clients", "1"};
        String[] bench = {"bench", "--base", data.resolve("base.fvecs").toString(), "--queries", queries.toString(), "--groundtruth",
                truth.toString(), "--ef", "20", "--reps", "1", "--warmup", "0"};

        String m = error(with(eval, "--json", queries.toString(), "--overwrite"));
        assertTrue(m.contains("--json " + queries + " is a file this command reads"), m);
        m = error(with(bench, "--json", truth.toString(), "--overwrite"));
        assertTrue(m.contains("--json " + truth + " is a file this command reads"), m);
        Path report = tmp.resolve("report.json");
        Files.writeString(report, "an earlier report");
        m = error(with(eval, "--json", report.toString()));
        assertTrue(m.contains("--json " + report + " already exists: pass --overwrite"), m);
        m = error(with(bench, "--json", tmp.toString()));
        assertTrue(m.contains("is a directory"), m);
        // Review helper 29: a report into the index replaced its manifest, also through a link to the index.
        byte[] manifest = Files.readAllBytes(index.resolve("manifest.json"));
        m = error(with(eval, "--json", index.resolve("manifest.json").toString(), "--overwrite"));
        assertTrue(m.contains("lies inside " + index), m);
        Path link = Files.createSymbolicLink(tmp.resolve("index-link"), index);
        m = error("query", "--index", index.toString(), "--queries", queries.toString(), "--out", link.resolve("results.ivecs").toString());
        assertTrue(m.contains("lies inside " + index), m);
        assertArrayEquals(manifest, Files.readAllBytes(index.resolve("manifest.json")));
        assertTrue(!Files.exists(index.resolve("results.ivecs")));
        assertArrayEquals(queryBytes, Files.readAllBytes(queries));
        assertArrayEquals(truthBytes, Files.readAllBytes(truth));
        assertEquals("an earlier report", Files.readString(report));

        assertEquals(0, run(with(eval, "--json", report.toString(), "--overwrite")));
        assertEquals(1, new ObjectMapper().readTree(report.toFile()).get("runs").size());
        // Errors of the file system in words, not a bare path.
        m = error("generate", "--out", report.toString(), "--rows", "10", "--dim", "2", "--queries", "1");
        assertTrue(m.contains("is a file: --out names the directory"), m);
        m = error("bench", "--base", tmp.resolve("missing.fvecs").toString(), "--queries", queries.toString(), "--groundtruth", truth.toString());
        assertTrue(m.contains("no such file or directory: " + tmp.resolve("missing.fvecs")), m);
    }

    /**
     * inspect of an S3 index downloaded every segment to print its manifest (probe helper 72). It now asks the store for
     * each segment's size and downloads nothing; a missing or truncated object is still an error naming it.
     */
    @Test
    void inspectOfAnS3IndexDownloadsNoSegmentAndNamesOneNotStored() throws Exception {
        Path index = tmp.resolve("index");
        TestIndexes.write(index, TestIndexes.clustered(2_000, 10, 8, 4)[0], 3, new HnswParams(8, 40, 1, Metric.L2), 1);
        System.setProperty("aws.accessKeyId", io.hnswseg.reader.LocalS3.ACCESS);
        System.setProperty("aws.secretAccessKey", io.hnswseg.reader.LocalS3.SECRET);
        try (io.hnswseg.reader.LocalS3 store = io.hnswseg.reader.LocalS3.start(0, "indexes")) {
            store.upload(index, "indexes", "v1");
            Path cache = tmp.resolve("cache");
            String[] inspect = {"inspect", "s3://indexes/v1", "--s3-endpoint", store.endpoint(), "--cache-dir", cache.toString()};
            assertEquals(0, run(inspect));
            if (Files.exists(cache)) {
                try (var files = Files.walk(cache)) {
                    assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".hseg")).toList(), "no segment downloaded");
                }
            }
            store.client().putObject(b -> b.bucket("indexes").key("v1/segments/part-00001.hseg"),
                    software.amazon.awssdk.core.sync.RequestBody.fromString("short"));
            store.client().deleteObject(b -> b.bucket("indexes").key("v1/segments/part-00002.hseg"));
            String message = error(inspect);
            assertTrue(message.contains("2 of 3 segments") && message.contains("s3://indexes/v1/segments/part-00001.hseg has 5 bytes")
                    && message.contains("s3://indexes/v1/segments/part-00002.hseg"), message);
            // With --verify too, both are named (probe helper 84: only the first, which the download stopped at).
            String[] verify = java.util.Arrays.copyOf(inspect, inspect.length + 1);
            verify[inspect.length] = "--verify";
            message = error(verify);
            assertTrue(message.contains("2 of 3 segments") && message.contains("part-00001.hseg has 5 bytes")
                    && message.contains("part-00002.hseg"), message);
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    /** inspect says whether the manifest carried its checksum (probe helper 97: it did not say). */
    @Test
    void inspectSaysWhetherTheManifestWasChecked() throws Exception {
        Path index = tmp.resolve("index");
        TestIndexes.write(index, TestIndexes.clustered(500, 10, 8, 4)[0], 2, new HnswParams(8, 40, 1, Metric.L2), 1);
        assertTrue(printed("inspect", index.toString()).contains("  manifest: its manifest_crc32c matched as it was read\n"));
        Path manifest = index.resolve("manifest.json");
        Files.writeString(manifest, TestIndexes.editable(manifest));
        assertTrue(printed("inspect", index.toString()).contains("  manifest: no manifest_crc32c (built before 2026-12-06, or"
                + " edited with it removed): read unchecked\n"));
    }

    /** What a command printed on standard output; it must exit 0. */
    private String printed(String... args) throws Exception {
        java.io.PrintStream out = System.out;
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(said, true));
        try {
            assertEquals(0, run(args));
        } finally {
            System.setOut(out);
        }
        return said.toString();
    }

    /** inspect --verify named only the first corrupt segment of the right size (left by the twenty-ninth stop); it names each. */
    @Test
    void inspectVerifyNamesEveryCorruptSegment() throws Exception {
        Path index = tmp.resolve("index");
        TestIndexes.write(index, TestIndexes.clustered(2_000, 10, 8, 4)[0], 3, new HnswParams(8, 40, 1, Metric.L2), 1);
        assertEquals(0, run("inspect", index.toString(), "--verify"));
        for (String part : List.of("part-00000.hseg", "part-00002.hseg")) {
            Path file = index.resolve("segments").resolve(part);
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length / 2] ^= 0x10; // in the body: the size stays the manifest's
            Files.write(file, bytes);
        }
        String message = error("inspect", index.toString(), "--verify");
        assertTrue(message.contains("2 of 3 segments") && message.contains("failed their check")
                && message.contains("part-00000.hseg") && message.contains("part-00002.hseg") && !message.contains("part-00001.hseg"), message);
    }

    /** A JVM out of memory was a bare stack trace (probe helper 78); it is one line saying what to raise, and exit 1. */
    @Test
    void outOfMemoryIsOneLineSayingWhatToRaise() {
        @picocli.CommandLine.Command(name = "hungry")
        class Hungry implements java.util.concurrent.Callable<Integer> {
            @Override
            public Integer call() {
                throw new OutOfMemoryError("Java heap space");
            }
        }
        java.io.PrintStream err = System.err;
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(said, true));
        try {
            assertEquals(1, UsageErrors.execute(new picocli.CommandLine(new Hungry()), new String[0], "hnswseg hungry", "raise -Xmx"));
        } finally {
            System.setErr(err);
        }
        assertEquals("hnswseg hungry: error: out of memory (Java heap space); raise -Xmx", said.toString().strip());
    }

    /** Figures come out the same under any locale (probe helper 89: decimal commas under de), and the caller's locale is kept. */
    @Test
    void numbersAreWrittenAlikeInEveryLocaleAndTheCallersLocaleIsKept() {
        @picocli.CommandLine.Command(name = "figure")
        class Figure implements java.util.concurrent.Callable<Integer> {
            @Override
            public Integer call() {
                System.out.print(String.format("%.2f", 0.5));
                return 0;
            }
        }
        java.util.Locale before = java.util.Locale.getDefault(java.util.Locale.Category.FORMAT);
        java.io.PrintStream out = System.out;
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        try {
            java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.GERMANY);
            System.setOut(new java.io.PrintStream(said, true));
            assertEquals(0, UsageErrors.execute(new picocli.CommandLine(new Figure()), new String[0], "hnswseg figure", "raise -Xmx"));
            assertEquals(java.util.Locale.GERMANY, java.util.Locale.getDefault(java.util.Locale.Category.FORMAT));
        } finally {
            System.setOut(out);
            java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, before);
        }
        assertEquals("0.50", said.toString());
    }

    private static String[] with(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }

    /** A usage error's message: exit 2, its reason in a few lines, no usage text. */
    private static String usageError(String... args) {
        String message = stderrOfFailure(2, args);
        assertTrue(message.strip().lines().count() <= 3 && !message.contains("Usage:"), message);
        return message;
    }

    /** Runs a command that must fail with exit code 1 and one line on stderr; returns that line. */
    private static String error(String... args) {
        String message = stderrOfFailure(1, args);
        assertEquals(1, message.strip().lines().count(), "one line, no stack trace: " + message);
        return message;
    }

    private static String stderrOfFailure(int exitCode, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var cli = HnswsegCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        assertEquals(exitCode, cli.execute(args), String.join(" ", args));
        return err.toString();
    }
}
