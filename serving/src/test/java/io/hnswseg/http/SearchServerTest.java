package io.hnswseg.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.reader.IndexReader;
import io.hnswseg.reader.TestIndexes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP endpoint with a real HTTP client on loopback. */
class SearchServerTest {

    @TempDir
    static Path tmp;
    private static IndexReader reader;
    private static SearchServer server;
    private static FloatMatrix[] data;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        data = TestIndexes.clustered(3_000, 10, 8, 3);
        TestIndexes.write(tmp.resolve("idx"), data[0], 2, new HnswParams(8, 40, 1, Metric.L2), 1);
        reader = IndexReader.open(tmp.resolve("idx").toString());
        server = new SearchServer(reader, "127.0.0.1", 0, 4);
    }

    @AfterAll
    static void stop() {
        server.close();
        reader.close();
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10));
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody()) : b.method(method, HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void searchAnswersLikeTheReader() throws Exception {
        float[] q = data[1].row(4);
        HttpResponse<String> r = send("POST", "/search", JSON.writeValueAsString(java.util.Map.of("vector", q, "k", 5, "ef", 50)));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        SearchResults expected = reader.search(q, 5, 50);
        assertEquals(5, body.get("ids").size());
        for (int i = 0; i < 5; i++) {
            assertEquals(expected.ids()[i], body.get("ids").get(i).asLong());
            assertEquals(expected.distances()[i], (float) body.get("distances").get(i).asDouble(), 1e-6 * Math.max(1, expected.distances()[i]));
        }
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    }

    /**
     * What clients in other languages send (probe helper 102): 10.0 for an integer, a doubled slash from a base URL
     * ending in "/", HEAD from an uptime checker; and what they must not have ignored: a query string (a client asking
     * ?ids_as_strings=true got numbers) and a gzip body.
     */
    @Test
    void requestsAsOtherClientsSendThem() throws Exception {
        String body = "{\"vector\": " + Arrays.toString(data[1].row(0)) + ", \"k\": 3.0, \"ef\": 1E+1}";
        HttpResponse<String> r = send("POST", "/search", body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(3, JSON.readTree(r.body()).get("ids").size());
        assertEquals(200, send("POST", "//search", body).statusCode());
        HttpResponse<String> query = send("POST", "/search?k=3&ids_as_strings=true", body);
        assertEquals(400, query.statusCode(), query.body());
        assertTrue(query.body().contains("a search reads no query parameters (got ?k=3&ids_as_strings=true)"), query.body());
        HttpResponse<String> gzip = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/search"))
                .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(415, gzip.statusCode(), gzip.body());
        assertEquals("identity", gzip.headers().firstValue("Accept-Encoding").orElse(""));
        // Every field counts: "identity" first, "gzip" second passed (review helper 104).
        HttpResponse<String> second = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/search"))
                .header("Content-Encoding", "identity").header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(415, second.statusCode(), second.body());
        assertEquals(200, send("POST", "/search?", body).statusCode());
        HttpResponse<String> head = send("HEAD", "/health", null);
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        assertEquals(200, send("HEAD", "/stats", null).statusCode());
        HttpResponse<String> put = send("PUT", "/health", "{}");
        assertEquals(405, put.statusCode());
        assertEquals("GET, HEAD", put.headers().firstValue("Allow").orElse(""));
    }

    /**
     * 1 + 2^-24 is the midpoint between 1f and the next float; a hair above it rounds up. Read through a double the
     * hair is lost, and the midpoint rounds to even, 1f: another query than the one sent.
     */
    @Test
    void aComponentIsRoundedToFloatOnce() throws Exception {
        String aboveMidpoint = "1.000000059604644775390625000000001";
        float[] sent = new float[data[1].dimension()];
        sent[0] = Math.nextUp(1f);
        float[] read = SearchRequest.parse(("{\"vector\": [" + aboveMidpoint + ", 0" + ", 0".repeat(sent.length - 2) + "]}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), sent.length, new SearchServer.Defaults(10, 0)).vector();
        assertArrayEquals(sent, read);
    }

    /**
     * Ids past 2^53 as JSON numbers reach a JavaScript client as the nearest double: Node's JSON.parse read
     * 1234567890123456789 as 1234567890123456800. Asked for, they come as strings, exact.
     */
    @Test
    void idsPastTheDoublesComeExactAsStringsWhenAsked() throws Exception {
        java.nio.file.Path dir = tmp.resolve("wide-ids");
        long first = 1_234_567_890_123_456_000L;
        TestIndexes.write(dir, data[0], 2, new HnswParams(8, 40, 1, Metric.L2), 1, first);
        try (IndexReader wide = IndexReader.open(dir.toString());
             SearchServer served = new SearchServer(wide, "127.0.0.1", 0, 2)) {
            float[] q = data[1].row(2);
            SearchResults expected = wide.search(q, 10, 40);
            for (boolean strings : new boolean[]{true, false}) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + served.port() + "/search"))
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(java.util.Map.of("vector", q, "ef", 40,
                                "ids_as_strings", strings)))).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                JsonNode ids = JSON.readTree(r.body()).get("ids");
                for (int i = 0; i < 10; i++) {
                    assertTrue(expected.ids()[i] >= first && (strings ? ids.get(i).isTextual() : ids.get(i).isIntegralNumber()), r.body());
                    assertEquals(Long.toString(expected.ids()[i]), ids.get(i).asText(), r.body());
                }
            }
        }
    }

    @Test
    void nprobeRoutesLikeTheReader() throws Exception {
        FloatMatrix[] routedData = TestIndexes.clustered(4_000, 10, 8, 5);
        TestIndexes.writeRouted(tmp.resolve("routed"), routedData[0], 4, new HnswParams(8, 40, 1, Metric.L2));
        try (IndexReader routed = IndexReader.open(tmp.resolve("routed").toString());
             SearchServer routedServer = new SearchServer(routed, "127.0.0.1", 0,
                     SearchServer.Limits.defaults().withThreads(2), new SearchServer.Defaults(40, 2))) {
            for (int nprobe : new int[] {1, 2, 4}) {
                float[] q = routedData[1].row(nprobe);
                String body = JSON.writeValueAsString(java.util.Map.of("vector", q, "k", 5, "nprobe", nprobe));
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + routedServer.port() + "/search"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                JsonNode answer = JSON.readTree(HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body());
                SearchResults expected = routed.search(q, 5, 40, nprobe);
                for (int i = 0; i < 5; i++) {
                    assertEquals(expected.ids()[i], answer.get("ids").get(i).asLong(), "nprobe " + nprobe);
                }
            }
            // Without nprobe, a request gets the server's default of 2.
            float[] q = routedData[1].row(7);
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + routedServer.port() + "/search"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"vector\": " + Arrays.toString(q) + ", \"k\": 5}")).build();
            JsonNode answer = JSON.readTree(HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body());
            SearchResults expected = routed.search(q, 5, 40, 2);
            for (int i = 0; i < 5; i++) {
                assertEquals(expected.ids()[i], answer.get("ids").get(i).asLong());
            }
            request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + routedServer.port() + "/search"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"vector\": " + Arrays.toString(q) + ", \"nprobe\": 5}")).build();
            HttpResponse<String> tooMany = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(400, tooMany.statusCode(), tooMany.body());
            assertTrue(tooMany.body().contains("nprobe must be in 0..4"), tooMany.body());
        }
    }

    @Test
    void aSegmentALazyReaderCannotFetchIsA500NamingItAndFailsHealth() throws Exception {
        java.nio.file.Path copy = io.hnswseg.reader.TestIndexes.copy(tmp.resolve("idx"), tmp.resolve("missing-segment"));
        String gone = reader.manifest().segments().get(1).path();
        java.nio.file.Files.delete(copy.resolve(gone));
        try (IndexReader lazy = IndexReader.open(copy.toString(), io.hnswseg.reader.ReaderOptions.defaults().withLazySegments(true));
             SearchServer other = new SearchServer(lazy, "127.0.0.1", 0, 2)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.port() + "/search"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"vector\": " + Arrays.toString(data[1].row(0)) + "}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(500, r.statusCode(), r.body());
            assertTrue(JSON.readTree(r.body()).get("error").asText().contains(gone), r.body());
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.port() + "/health"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, health.statusCode(), health.body());
            assertTrue(health.body().contains(gone), health.body());
        }
    }

    @Test
    void aSegmentDownloadThatMayPassIsA503WithRetryAfterAndTheNextSearchAnswers() throws Exception {
        try (IndexReader lazy = TestIndexes.lazyWithFailingFetches(tmp.resolve("idx"), 1);
             SearchServer other = new SearchServer(lazy, "127.0.0.1", 0, 2)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest search = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.port() + "/search"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"vector\": " + Arrays.toString(data[1].row(0)) + "}")).build();
            HttpResponse<String> r = http.send(search, HttpResponse.BodyHandlers.ofString());
            assertEquals(503, r.statusCode(), r.body());
            assertEquals(String.valueOf(SearchServer.RETRY_AFTER_SECONDS), r.headers().firstValue("Retry-After").orElse(null), r.headers().toString());
            assertTrue(JSON.readTree(r.body()).get("error").asText().contains("S3 error 503"), r.body());
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.port() + "/health"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            assertEquals("degraded", JSON.readTree(health.body()).get("status").asText(), health.body());
            assertEquals(1, JSON.readTree(health.body()).get("unavailable_segments").size(), health.body());
            r = http.send(search, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(10, JSON.readTree(r.body()).get("ids").size(), r.body());
            health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.port() + "/health"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("ok", JSON.readTree(health.body()).get("status").asText(), health.body());
        }
    }

    @Test
    void healthAndStats() throws Exception {
        HttpResponse<String> health = send("GET", "/health", null);
        assertEquals(200, health.statusCode());
        assertEquals("ok", JSON.readTree(health.body()).get("status").asText());
        send("POST", "/search", "{\"vector\": " + Arrays.toString(data[1].row(0)) + "}");
        JsonNode stats = JSON.readTree(send("GET", "/stats", null).body());
        assertEquals(2, stats.get("segments").asInt());
        assertEquals(3_000, stats.get("vectors").asLong());
        assertEquals(8, stats.get("dimension").asInt());
        assertTrue(stats.get("queries_served").asLong() >= 1);
    }

    /**
     * A build that replaces the index in place (probe helper 30): the server answered the old index with
     * nothing saying so. It still answers from what it opened, and says it is stale.
     */
    @Test
    void anIndexReplacedAtItsLocationMakesTheServerSayItIsStale() throws Exception {
        java.nio.file.Path copy = io.hnswseg.reader.TestIndexes.copy(tmp.resolve("idx"), tmp.resolve("replaced-later"));
        try (IndexReader served = IndexReader.open(copy.toString());
             SearchServer other = new SearchServer(served, "127.0.0.1", 0, 2)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.port() + "/health")).GET().build();
            other.checkIndex();
            assertEquals("ok", JSON.readTree(http.send(health, HttpResponse.BodyHandlers.ofString()).body()).get("status").asText());
            SearchResults before = served.search(data[1].row(0), 10, 40, 0);
            // Rebuilt as three segments, and its manifest committed in place (a build writes new segment files
            // beside the old ones; here the old ones stay as they are).
            java.nio.file.Path rebuilt = tmp.resolve("rebuilt");
            TestIndexes.write(rebuilt, data[0], 3, new HnswParams(8, 40, 1, Metric.L2), 1);
            java.nio.file.Files.copy(rebuilt.resolve("manifest.json"), copy.resolve("manifest.json"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            other.checkIndex();
            HttpResponse<String> r = http.send(health, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("stale", JSON.readTree(r.body()).get("status").asText(), r.body());
            assertTrue(JSON.readTree(r.body()).get("index").asText().contains("restart it to serve the new one"), r.body());
            JsonNode stats = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.port() + "/stats"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString()).body());
            assertTrue(stats.get("index_replaced").asBoolean(), stats.toString());
            assertEquals(2, stats.get("segments").asInt(), "still the index it opened");
            assertTrue(before.matches(served.search(data[1].row(0), 10, 40, 0), 0), "answers as before");
        }
    }

    /**
     * An index removed from its location, then one whose manifest is damaged (probe helper 72): /health said ok. The
     * server still answers from what it opened, says the index can no longer be opened, and says ok again once the manifest is back.
     */
    @Test
    void anIndexRemovedOrDamagedAtItsLocationMakesTheServerSaySo() throws Exception {
        java.nio.file.Path copy = io.hnswseg.reader.TestIndexes.copy(tmp.resolve("idx"), tmp.resolve("removed-later"));
        java.nio.file.Path manifest = copy.resolve("manifest.json");
        byte[] kept = java.nio.file.Files.readAllBytes(manifest);
        try (IndexReader served = IndexReader.open(copy.toString());
             SearchServer other = new SearchServer(served, "127.0.0.1", 0, 2)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.port() + "/health")).GET().build();
            SearchResults before = served.search(data[1].row(0), 10, 40, 0);
            java.nio.file.Files.delete(manifest);
            other.checkIndex();
            JsonNode gone = JSON.readTree(http.send(health, HttpResponse.BodyHandlers.ofString()).body());
            assertEquals("stale", gone.get("status").asText(), gone.toString());
            assertTrue(gone.get("index").asText().contains("can no longer be opened"), gone.toString());
            assertTrue(before.matches(served.search(data[1].row(0), 10, 40, 0), 0), "answers as before");
            java.nio.file.Files.writeString(manifest, "{\"format_version\": 2, \"segm");
            other.checkIndex();
            JsonNode damaged = JSON.readTree(http.send(health, HttpResponse.BodyHandlers.ofString()).body());
            assertEquals("stale", damaged.get("status").asText(), damaged.toString());
            assertTrue(damaged.get("index").asText().contains("manifest"), damaged.toString());
            java.nio.file.Files.write(manifest, kept);
            other.checkIndex();
            assertEquals("ok", JSON.readTree(http.send(health, HttpResponse.BodyHandlers.ofString()).body()).get("status").asText());
        }
    }

    /**
     * {@code serve} follows its index: a build that replaces it in place is opened and served, a search that
     * started before the swap finishes on the old index (never on a closed one), and the old reader is closed
     * once that search ends. Each reader holds its lease while open, so a vacuum keeps the files it answers from.
     */
    @Test
    void aFollowingServerSwapsInTheIndexThatReplacesItsOwn() throws Exception {
        java.nio.file.Path copy = io.hnswseg.reader.TestIndexes.copy(tmp.resolve("idx"), tmp.resolve("followed"));
        IndexReader first = IndexReader.open(copy.toString(), io.hnswseg.reader.ReaderOptions.defaults().withReadLease(true));
        assertEquals(List.of(first.readLease()), leases(copy));
        try (SearchServer following = SearchServer.following(first, "127.0.0.1", 0, SearchServer.Limits.defaults().withThreads(2),
                null, null)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest search = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + following.port() + "/search"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"vector\": " + Arrays.toString(data[1].row(0)) + "}")).build();
            java.util.concurrent.CountDownLatch inSearch = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch swapped = new java.util.concurrent.CountDownLatch(1);
            following.searchHook = () -> {
                following.searchHook = null;
                inSearch.countDown();
                try {
                    swapped.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            java.util.concurrent.CompletableFuture<HttpResponse<String>> early = http.sendAsync(search, HttpResponse.BodyHandlers.ofString());
            assertTrue(inSearch.await(10, java.util.concurrent.TimeUnit.SECONDS));
            // The rebuilt index, ids from 100,000 on, in three segments of other names, committed in place.
            TestIndexes.write(copy, data[0], 3, new HnswParams(8, 40, 1, Metric.L2), 1, 100_000, "v2-part-");
            following.checkIndex();
            assertEquals(2, leases(copy).size(), "the old reader's lease and the new one's: " + leases(copy));
            swapped.countDown();
            HttpResponse<String> r = early.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(JSON.readTree(r.body()).get("ids").get(0).asLong() < 100_000, "the search begun before the swap: " + r.body());
            r = http.send(search, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            for (JsonNode id : JSON.readTree(r.body()).get("ids")) {
                assertTrue(id.asLong() >= 100_000, "a search after the swap: " + r.body());
            }
            JsonNode stats = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + following.port() + "/stats"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString()).body());
            assertEquals(3, stats.get("segments").asInt(), stats.toString());
            assertEquals(1, stats.get("index_reloads").asInt(), stats.toString());
            assertFalse(stats.get("index_replaced").asBoolean(), stats.toString());
            // The early search releases the old reader just after its answer is written: allow it that moment.
            String closed = null;
            for (long until = System.nanoTime() + 5_000_000_000L; closed == null && System.nanoTime() < until; ) {
                try {
                    first.search(data[1].row(0), 10);
                    Thread.sleep(10);
                } catch (IllegalStateException e) {
                    closed = e.getMessage();
                }
            }
            assertTrue(closed != null && closed.contains("is closed"), "the replaced reader is closed once its last search ended");
            List<String> left = leases(copy);
            assertTrue(left.size() == 1 && !left.contains(first.readLease()), "the old reader's lease went with it: " + left);
            following.checkIndex();
            assertEquals(1, JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + following.port() + "/stats"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString()).body()).get("index_reloads").asInt(), "nothing new: no reload");
        }
        assertEquals(List.of(), leases(copy), "no lease left once the server stopped");
    }

    /** The file names of the readers' leases in the index directory {@code dir}. */
    private static List<String> leases(java.nio.file.Path dir) throws IOException {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(io.hnswseg.manifest.Leases::isReadLease).sorted().toList();
        }
    }

    /** A server following an index on S3 removes the replaced index's copies from its cache once it swapped. */
    @Test
    void aFollowingServerOnS3RemovesTheReplacedIndexsCachedCopies() throws Exception {
        System.setProperty("aws.accessKeyId", io.hnswseg.reader.LocalS3.ACCESS);
        System.setProperty("aws.secretAccessKey", io.hnswseg.reader.LocalS3.SECRET);
        try (io.hnswseg.reader.LocalS3 store = io.hnswseg.reader.LocalS3.start(0, "indexes")) {
            store.upload(tmp.resolve("idx"), "indexes", "followed");
            io.hnswseg.reader.ReaderOptions options = io.hnswseg.reader.ReaderOptions.defaults().withS3Endpoint(store.endpoint())
                    .withS3Region("us-east-1").withCacheDir(tmp.resolve("server-cache"));
            Path cached = tmp.resolve("server-cache/s3/indexes/followed/segments");
            try (SearchServer following = SearchServer.following(IndexReader.open("s3://indexes/followed", options), "127.0.0.1", 0,
                    SearchServer.Limits.defaults().withThreads(2), null, null)) {
                assertEquals(java.util.List.of("part-00000.hseg", "part-00001.hseg"), names(cached));
                Path rebuilt = tmp.resolve("rebuilt-for-s3");
                TestIndexes.write(rebuilt, data[0], 3, new HnswParams(8, 40, 1, Metric.L2), 1, 100_000, "v2-part-");
                store.upload(rebuilt, "indexes", "followed");
                following.checkIndex();
                assertEquals(java.util.List.of("v2-part-00000.hseg", "v2-part-00001.hseg", "v2-part-00002.hseg"), names(cached));
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + following.port() + "/search"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"vector\": " + Arrays.toString(data[1].row(0)) + "}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(JSON.readTree(r.body()).get("ids").get(0).asLong() >= 100_000, r.body());
            }
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    private static java.util.List<String> names(Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /** A replacing index the operator's --nprobe cannot take: the old one answers on, and /health says why. */
    @Test
    void aReplacingIndexTheServerCannotTakeLeavesItServingTheOldOneAndSayingWhy() throws Exception {
        java.nio.file.Path dir = tmp.resolve("refused-replacement");
        TestIndexes.writeRouted(dir, data[0], 4, new HnswParams(8, 40, 1, Metric.L2));
        try (SearchServer following = SearchServer.following(IndexReader.open(dir.toString()), "127.0.0.1", 0,
                SearchServer.Limits.defaults().withThreads(2), null, 3)) {
            TestIndexes.write(dir, data[0], 2, new HnswParams(8, 40, 1, Metric.L2), 1, 100_000, "v2-part-");
            following.checkIndex();
            following.checkIndex();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + following.port() + "/health"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode answer = JSON.readTree(health.body());
            assertEquals("stale", answer.get("status").asText(), health.body());
            assertTrue(answer.get("index").asText().contains("cannot be served (--nprobe must be 0"), health.body());
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + following.port() + "/search"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"vector\": " + Arrays.toString(data[1].row(0)) + "}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(JSON.readTree(r.body()).get("ids").get(0).asLong() < 100_000, "answered by the old index: " + r.body());
        }
    }

    @Test
    void badRequestsGet400WithAMessage() throws Exception {
        String[][] cases = {
                {"{not json", "malformed JSON"},
                {"[1, 2]", "JSON object"},
                {"{\"k\": 3}", "'vector'"},
                {"{\"vector\": [1, 2, 3]}", "dimension 3"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, \"x\"]}", "vector[7]"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"k\": 100000}", "'k'"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"k\": 0}", "'k'"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"k\": 20, \"ef\": 5}", "'ef'"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"k\": \"ten\"}", "integer"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 1e39]}", "finite"},
                {"", "JSON object"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"nprobe\": -1}", "nprobe must be in 0..2 (0 = every segment), got -1"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8]} xyz", "malformed JSON at line 1, column"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, NaN]}", "malformed JSON at line 1"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"k\": 3000000000}", "field 'k' is 3000000000, must be in [1, 1000]"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"nprobe\": 1}", "nprobe"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"k\": 3, \"k\": 4}", "Duplicate field 'k'"},
                {"{\"vector\": [\"1\", \"2\"]}", "vector[0] is not a number: \"1\""},
                {"{\"vector\": [[1, 2, 3, 4, 5, 6, 7, 8]]}", "vector[0] is not a number"},
                {"{\"vector\": [1, 2, 3", "Unexpected end-of-input: expected close marker for Array"},
                {"[".repeat(1200), "exceeds the maximum allowed (1000)"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"topk\": 3}", "unknown field 'topk': a search takes vector, k, ef, nprobe, ids_as_strings"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"ids_as_strings\": \"yes\"}", "field 'ids_as_strings' must be true or false, got \"yes\""},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"nprob\": 1}", "unknown field 'nprob'"},
                // Past a double's range: no quotes, as if the client had sent a string (probe helper 102).
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"k\": 1e400}", "field 'k' must be an integer, got a number beyond the range of a double"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 1e400]}", "vector[7] is not a finite float: beyond the range of a double"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"k\": 2.5}", "field 'k' must be an integer, got 2.5"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"k\": 10.000000000000000001}", "field 'k' must be an integer, got 10.000000000000000001"},
                {"", "empty body: expected a JSON object"},
                {" \n ", "empty body: expected a JSON object"},
                {"{\"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"k\": 1e18}", "field 'k' is 1E+18, must be in [1, 1000]"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = send("POST", "/search", c[0]);
            assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
            String error = JSON.readTree(r.body()).get("error").asText();
            assertTrue(error.contains(c[1]), c[0] + " -> " + error);
            assertFalse(error.contains("Feature") || error.contains("Source") || error.contains("`"),
                    "the parser's advice to programmers is not for clients: " + error);
        }
        java.io.IOException taken = assertThrows(java.io.IOException.class,
                () -> new SearchServer(reader, "127.0.0.1", server.port(), 1).close());
        assertTrue(taken.getMessage().startsWith("cannot listen on 127.0.0.1:" + server.port() + ": ")
                && taken.getMessage().endsWith("not an address of this host)"), taken.getMessage());
        assertEquals(405, send("GET", "/search", null).statusCode());
        assertEquals(405, send("POST", "/health", "{}").statusCode());
        assertEquals(404, send("GET", "/nope", null).statusCode());
    }
}
