package io.hnswseg.reader;

import io.hnswseg.distance.Metric;
import io.hnswseg.eval.BruteForce;
import io.hnswseg.eval.Recall;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.segment.MappedSegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexReaderTest {

    @TempDir
    static Path tmp;
    private static Path dir;
    private static FloatMatrix[] data;
    private static IndexReader reader;

    @BeforeAll
    static void writeIndex() throws IOException {
        data = TestIndexes.clustered(12_000, 200, 24, 5);
        dir = tmp.resolve("idx");
        TestIndexes.write(dir, data[0], 4, new HnswParams(12, 80, 1, Metric.L2), 2);
        reader = IndexReader.open(dir.toString(), ReaderOptions.defaults().withSearchThreads(3));
    }

    @AfterAll
    static void close() {
        reader.close();
    }

    @Test
    void describesWhatItOpened() {
        assertEquals(4, reader.segmentCount());
        assertEquals(12_000, reader.size());
        assertEquals(24, reader.dimension());
        assertEquals(Metric.L2, reader.metric());
        assertTrue(reader.mappedBytes() > 12_000L * 24 * 4);
    }

    @Test
    void fanOutReturnsExactlyTheTopKOfTheUnionOfSegmentResults() throws IOException {
        List<MappedSegment> segments = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            segments.add(MappedSegment.open(dir.resolve(String.format("segments/part-%05d.hseg", s))));
        }
        for (int q = 0; q < 50; q++) {
            float[] query = data[1].row(q);
            List<long[]> union = new ArrayList<>();
            for (MappedSegment s : segments) {
                SearchResults r = s.search(query, 10, 40);
                for (int i = 0; i < r.size(); i++) {
                    union.add(new long[]{Float.floatToIntBits(r.distances()[i]), r.ids()[i]});
                }
            }
            union.sort(Comparator.<long[]>comparingDouble(e -> Float.intBitsToFloat((int) e[0])).thenComparingLong(e -> e[1]));
            long[] expected = union.stream().limit(10).mapToLong(e -> e[1]).toArray();
            assertArrayEquals(expected, reader.search(query, 10, 40).ids(), "query " + q);
        }
        segments.forEach(MappedSegment::close);
    }

    @Test
    void recallAgainstBruteForce() {
        int[][] truth = BruteForce.nearest(data[0], data[1], 10, Metric.L2);
        long[][] found = new long[data[1].rows()][];
        for (int q = 0; q < found.length; q++) {
            found[q] = reader.search(data[1].row(q), 10, 64).ids();
        }
        double recall = Recall.atK(found, truth, 10);
        assertTrue(recall >= 0.95, "recall@10 " + recall);
    }

    @Test
    void concurrentCallersGetTheAnswersOfOneThread() throws Exception {
        List<float[]> queries = new ArrayList<>();
        for (int q = 0; q < data[1].rows(); q++) {
            queries.add(data[1].row(q));
        }
        List<SearchResults> expected = new ArrayList<>();
        for (float[] q : queries) {
            expected.add(reader.search(q, 10, 50));
        }
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> checks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                checks.add(callers.submit(() -> {
                    for (int i = 0; i < queries.size(); i++) {
                        int q = (i + offset * 25) % queries.size();
                        if (!expected.get(q).matches(reader.search(queries.get(q), 10, 50), 1e-6)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : checks) {
                assertTrue(f.get());
            }
        } finally {
            callers.shutdownNow();
        }
        List<SearchResults> batch = reader.searchBatch(queries, 10, 50);
        for (int q = 0; q < queries.size(); q++) {
            assertTrue(expected.get(q).matches(batch.get(q), 1e-6), "batch query " + q);
        }
        List<float[]> withNaN = new java.util.ArrayList<>(queries);
        float[] bad = queries.get(2).clone();
        bad[1] = Float.NaN;
        withNaN.set(2, bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.searchBatch(withNaN, 10, 50));
        assertTrue(e.getMessage().startsWith("query 2 of the batch has NaN at component 1"), e.getMessage());
    }

    @Test
    void parallelFanOutSpreadsSegmentsOverPoolThreads() throws Exception {
        try (IndexReader parallel = splitting(3)) {
            Thread caller = Thread.currentThread();
            java.util.Set<String> helpers = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.concurrent.CountDownLatch helped = new java.util.concurrent.CountDownLatch(1);
            // The caller waits (bounded) until a pool thread has taken a segment: passes only if the pool
            // really works on the query, fails after the timeout if it never does.
            parallel.fanOut.segmentHook = i -> {
                if (Thread.currentThread() == caller) {
                    await(helped);
                } else {
                    helpers.add(Thread.currentThread().getName());
                    helped.countDown();
                }
            };
            for (int q = 0; q < 20; q++) {
                assertTrue(reader.search(data[1].row(q), 10, 40).matches(parallel.search(data[1].row(q), 10, 40), 1e-6), "query " + q);
            }
            assertTrue(!helpers.isEmpty() && helpers.stream().allMatch(n -> n.startsWith("hnswseg-search")), helpers.toString());
        }
    }

    @Test
    void fanOutNeverWaitsForABusyPool() throws Exception {
        try (IndexReader parallel = splitting(2)) {
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            // Two search threads: the caller's and one pool helper, which these tasks keep busy.
            java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
            for (int t = 0; t < 2; t++) {
                parallel.fanOut.pool.execute(() -> {
                    busy.countDown();
                    await(release);
                });
            }
            assertTrue(busy.await(10, java.util.concurrent.TimeUnit.SECONDS), "the pool's thread is busy");
            try {
                // A caller outside the pool (as an HTTP handler is) gets its answer with every pool thread busy.
                assertAnswersFromAnotherThread(parallel, 2);
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void aQueryRunsSequentiallyWhileOthersKeepThePoolBusy() throws Exception {
        try (IndexReader parallel = splitting(2)) {
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch first = new java.util.concurrent.CountDownLatch(1);
            // The first query fans out and stays inside its segment searches until released (its caller and
            // its pool helper both), so it is in flight. A second query would then wait on a parked pool
            // helper if it fanned out too; with as many queries in flight as threads it must search alone.
            parallel.fanOut.segmentHook = i -> {
                first.countDown();
                await(release);
            };
            Thread busy = new Thread(() -> parallel.search(data[1].row(1), 10, 40));
            busy.start();
            try {
                assertTrue(first.await(10, java.util.concurrent.TimeUnit.SECONDS), "the first query fanned out");
                assertAnswersFromAnotherThread(parallel, 2);
            } finally {
                release.countDown();
                busy.join(10_000);
            }
        }
    }

    /** A reader with {@code threads} search threads that splits every query, however small. */
    private IndexReader splitting(int threads) throws IOException {
        IndexReader parallel = IndexReader.open(dir.toString(), ReaderOptions.defaults().withSearchThreads(threads));
        parallel.fanOut.parallelMinNanos = 0;
        return parallel;
    }

    /** Query {@code q} asked from a new thread (as an HTTP handler asks) is answered within 10 s, as the unsplit reader answers it. */
    private void assertAnswersFromAnotherThread(IndexReader parallel, int q) throws Exception {
        java.util.concurrent.FutureTask<SearchResults> query = new java.util.concurrent.FutureTask<>(
                () -> parallel.search(data[1].row(q), 10, 40));
        new Thread(query).start();
        SearchResults answer = query.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(reader.search(data[1].row(q), 10, 40).matches(answer, 1e-6), "query " + q);
    }

    private static void await(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void routedSearchIsTheTopKOfTheUnionOfTheRoutedSegments() throws IOException {
        Path routedDir = tmp.resolve("routed");
        IndexManifest manifest = TestIndexes.writeRouted(routedDir, data[0], 6, new HnswParams(12, 80, 1, Metric.L2));
        io.hnswseg.routing.Centroids centroids = KMeansTrainerAccess.centroids(routedDir, manifest);
        try (IndexReader routed = IndexReader.open(routedDir.toString())) {
            assertTrue(routed.routed());
            List<MappedSegment> segments = new ArrayList<>();
            for (IndexManifest.Segment s : manifest.segments()) {
                segments.add(MappedSegment.open(routedDir.resolve(s.path())));
            }
            // nprobe 0 searches every segment with the full beam (the unrouted answer); nprobe n the segments
            // of the n nearest centroids that ProbeBeams.reaches, the r-th nearest with its narrower beam.
            int skipped = 0;
            for (int nprobe = 0; nprobe <= 6; nprobe++) {
                List<float[]> queries = new ArrayList<>();
                for (int q = 0; q < 30; q++) {
                    queries.add(data[1].row(q));
                }
                // The batch searches segment by segment, in another order than one query at a time.
                List<SearchResults> batch = routed.searchBatch(queries, 10, 40, nprobe);
                routed.fanOut.resultsPerChunk = 130;
                List<SearchResults> chunked = routed.searchBatch(queries, 10, 40, nprobe);
                routed.fanOut.resultsPerChunk = FanOut.RESULTS_PER_CHUNK;
                for (int q = 0; q < 30; q++) {
                    float[] query = data[1].row(q);
                    io.hnswseg.routing.Centroids.Ranking ranking = centroids.rank(query, nprobe == 0 ? 6 : nprobe);
                    int[] cells = ranking.centroids();
                    int reached = 1;
                    long held = manifest.segments().get(segmentOf(manifest, cells[0])).count();
                    while (nprobe > 0 && reached < cells.length
                            && io.hnswseg.routing.ProbeBeams.reaches(nprobe, 10, held, ranking.distances()[reached], ranking.distances()[0])) {
                        held += manifest.segments().get(segmentOf(manifest, cells[reached])).count();
                        reached++;
                    }
                    cells = nprobe == 0 ? cells : Arrays.copyOf(cells, reached);
                    skipped += (nprobe == 0 ? 6 : nprobe) - cells.length;
                    List<long[]> union = new ArrayList<>();
                    for (int rank = 0; rank < cells.length; rank++) {
                        int s = segmentOf(manifest, cells[rank]);
                        int ef = nprobe == 0 ? 40 : io.hnswseg.routing.ProbeBeams.ef(40, 10, rank);
                        SearchResults r = segments.get(s).search(query, 10, ef);
                        for (int i = 0; i < r.size(); i++) {
                            union.add(new long[]{Float.floatToIntBits(r.distances()[i]), r.ids()[i]});
                        }
                    }
                    union.sort(Comparator.<long[]>comparingDouble(e -> Float.intBitsToFloat((int) e[0])).thenComparingLong(e -> e[1]));
                    long[] expected = union.stream().limit(10).mapToLong(e -> e[1]).toArray();
                    assertArrayEquals(expected, routed.search(query, 10, 40, nprobe).ids(), "nprobe " + nprobe + ", query " + q);
                    assertArrayEquals(expected, batch.get(q).ids(), "batch, nprobe " + nprobe + ", query " + q);
                    assertArrayEquals(expected, chunked.get(q).ids(), "batch in chunks, nprobe " + nprobe + ", query " + q);
                }
            }
            assertTrue(skipped > 0, "no query was routed to fewer segments than its nprobe: the reach rule went untested");
            segments.forEach(MappedSegment::close);
        }
    }

    private static int segmentOf(IndexManifest manifest, int centroid) {
        for (int s = 0; s < manifest.segments().size(); s++) {
            if (manifest.segments().get(s).centroid() == centroid) {
                return s;
            }
        }
        throw new AssertionError("no segment for centroid " + centroid);
    }

    /** Reads a routed test index's centroids as the reader does. */
    private static final class KMeansTrainerAccess {
        static io.hnswseg.routing.Centroids centroids(Path dir, IndexManifest manifest) throws IOException {
            io.hnswseg.io.FloatMatrix m = io.hnswseg.io.VecsReader.parseFloats(Files.readAllBytes(dir.resolve("routing/centroids.fvecs")), "c");
            float[] biases = new float[m.rows()];
            for (int i = 0; i < biases.length; i++) {
                biases[i] = manifest.routing().biases().get(i);
            }
            return new io.hnswseg.routing.Centroids(Metric.L2, m.dimension(), m.data(), biases);
        }
    }

    @Test
    void aManifestThatRoutesASegmentByAnotherCentroidIsRefused() throws IOException {
        Path good = tmp.resolve("routed-centroid-check");
        TestIndexes.writeRouted(good, data[0], 4, new HnswParams(12, 80, 1, Metric.L2));
        String json = TestIndexes.editable(good.resolve("manifest.json"));
        assertTrue(json.contains("\"centroid\" : 0") && json.contains("\"centroid\" : 1"), json);
        try (IndexReader routed = IndexReader.open(good.toString())) {
            assertTrue(routed.routed());
        }

        // Two segments' centroid numbers swapped: every checksum still matches.
        Path swapped = TestIndexes.copy(good, tmp.resolve("routed-swapped"));
        Files.writeString(swapped.resolve("manifest.json"), json.replace("\"centroid\" : 0", "\"centroid\" : X")
                .replace("\"centroid\" : 1", "\"centroid\" : 0").replace("\"centroid\" : X", "\"centroid\" : 1"));
        assertRefusedForItsCentroid(swapped);

        // The centroids file's first two rows exchanged, its size and CRC32C in the manifest updated to match.
        Path reordered = TestIndexes.copy(good, tmp.resolve("routed-reordered"));
        Path file = reordered.resolve("routing/centroids.fvecs");
        byte[] bytes = Files.readAllBytes(file);
        int record = bytes.length / 4;
        byte[] first = Arrays.copyOfRange(bytes, 0, record);
        System.arraycopy(bytes, record, bytes, 0, record);
        System.arraycopy(first, 0, bytes, record, record);
        Files.write(file, bytes);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes);
        IndexManifest m = IndexManifest.parse(json.getBytes(StandardCharsets.UTF_8), "m");
        Files.writeString(reordered.resolve("manifest.json"), json.replace("\"crc32c\" : " + m.routing().centroids().crc32c(),
                "\"crc32c\" : " + crc.getValue()));
        assertRefusedForItsCentroid(reordered);

        // Segment 0's CRC (and the bias recorded with it) cleared from its header (its checksums fixed), so that it
        // alone would escape the check.
        Path cleared = TestIndexes.copy(good, tmp.resolve("routed-cleared"));
        Path segment = cleared.resolve(m.segments().get(0).path());
        byte[] header = Files.readAllBytes(segment);
        java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(152, 0).putLong(160, 0);
        java.util.zip.CRC32C segmentCrc = new java.util.zip.CRC32C();
        segmentCrc.update(header, 0, header.length - 8);
        java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(header.length - 8, (int) segmentCrc.getValue());
        Files.write(segment, header);
        Files.writeString(cleared.resolve("manifest.json"), json.replace("\"crc32c\" : " + m.segments().get(0).crc32c() + ",",
                "\"crc32c\" : " + segmentCrc.getValue() + ","));
        IOException e = assertThrows(IOException.class, () -> IndexReader.open(cleared.toString()));
        assertTrue(e.getMessage().contains(m.segments().get(0).path())
                && e.getMessage().contains("the manifest says every segment of this index does"), e.getMessage());
        // Lazily, the altered segment is refused even when it is the first one a search opens.
        try (IndexReader lazy = IndexReader.open(cleared.toString(), ReaderOptions.defaults().withLazySegments(true))) {
            RuntimeException r = assertThrows(RuntimeException.class, () -> lazy.search(data[1].row(0), 10, 40, 0));
            assertTrue(r.getMessage().contains(m.segments().get(0).path()), r.getMessage());
        }
        // An index written before segments recorded the CRC says nothing of it: its segments are not asked for one.
        Files.writeString(cleared.resolve("manifest.json"), TestIndexes.editable(cleared.resolve("manifest.json"))
                .replace("\"segment_centroid_crcs\" : true", "\"segment_centroid_crcs\" : null")
                .replace("\"segment_centroid_biases\" : true", "\"segment_centroid_biases\" : null"));
        try (IndexReader older = IndexReader.open(cleared.toString())) {
            assertEquals(10, older.search(data[1].row(0), 10, 40, 0).size());
        }
    }

    @Test
    void aManifestWhoseBiasesAreNotTheBuildsIsRefused() throws IOException {
        Path good = tmp.resolve("routed-bias-check");
        IndexManifest m = TestIndexes.writeRouted(good, data[0], 4, new HnswParams(12, 80, 1, Metric.L2));
        String json = TestIndexes.editable(good.resolve("manifest.json"));
        java.util.regex.Matcher listed = java.util.regex.Pattern.compile("\"biases\" : \\[[^\\]]*\\]").matcher(json);
        assertTrue(listed.find(), json);
        // The first two biases exchanged (moved apart first should they be equal): every checksum still matches.
        List<Float> biases = new ArrayList<>(m.routing().biases());
        float first = biases.get(0);
        biases.set(0, biases.get(1).equals(first) ? first + 0.5f : biases.get(1));
        biases.set(1, first);
        Path swapped = TestIndexes.copy(good, tmp.resolve("routed-bias-swapped"));
        Files.writeString(swapped.resolve("manifest.json"), json.replace(listed.group(), "\"biases\" : " + biases));
        IOException e = assertThrows(IOException.class, () -> IndexReader.open(swapped.toString()));
        assertTrue(e.getMessage().contains("part-0000") && e.getMessage().contains("but the manifest's routing.biases["),
                e.getMessage());
        try (IndexReader lazy = IndexReader.open(swapped.toString(), ReaderOptions.defaults().withLazySegments(true))) {
            RuntimeException r = assertThrows(RuntimeException.class, () -> lazy.search(data[1].row(0), 10, 40, 0));
            assertTrue(r.getMessage().contains("routing.biases["), r.getMessage());
        }
        // The same biases printed with other digits (as a tool reading them as doubles may): the same floats.
        StringBuilder doubles = new StringBuilder();
        for (Float b : m.routing().biases()) {
            doubles.append(doubles.length() == 0 ? "[" : ", ").append(new java.math.BigDecimal(b.doubleValue()).toPlainString());
        }
        Path reprinted = TestIndexes.copy(good, tmp.resolve("routed-bias-reprinted"));
        Files.writeString(reprinted.resolve("manifest.json"), json.replace(listed.group(), "\"biases\" : " + doubles + "]"));
        try (IndexReader same = IndexReader.open(reprinted.toString())) {
            assertEquals(10, same.search(data[1].row(0), 10, 40, 0).size());
        }

        // One unit in the last place off is within what a reprint can do; two are not.
        for (int steps = 1; steps <= 2; steps++) {
            List<Float> moved = new ArrayList<>(m.routing().biases());
            float b = moved.get(0);
            for (int i = 0; i < steps; i++) {
                b = Math.nextAfter(b, moved.get(0) >= 0 ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY);
            }
            moved.set(0, b);
            Path off = TestIndexes.copy(good, tmp.resolve("routed-bias-off-" + steps));
            Files.writeString(off.resolve("manifest.json"), json.replace(listed.group(), "\"biases\" : " + moved));
            if (steps == 1) {
                try (IndexReader within = IndexReader.open(off.toString())) {
                    assertEquals(10, within.search(data[1].row(0), 10, 40, 0).size());
                }
            } else {
                IOException beyond = assertThrows(IOException.class, () -> IndexReader.open(off.toString()));
                assertTrue(beyond.getMessage().contains("routing.biases[0]"), beyond.getMessage());
            }
        }

        // Segment 0's bias cleared from its header (its checksums fixed), so that it alone would escape the check.
        Path cleared = TestIndexes.copy(good, tmp.resolve("routed-bias-cleared"));
        Path segment = cleared.resolve(m.segments().get(0).path());
        byte[] bytes = Files.readAllBytes(segment);
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(160, 0);
        java.util.zip.CRC32C segmentCrc = new java.util.zip.CRC32C();
        segmentCrc.update(bytes, 0, bytes.length - 8);
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 8, (int) segmentCrc.getValue());
        Files.write(segment, bytes);
        String clearedJson = json.replace("\"crc32c\" : " + m.segments().get(0).crc32c() + ",", "\"crc32c\" : " + segmentCrc.getValue() + ",");
        Files.writeString(cleared.resolve("manifest.json"), clearedJson);
        IOException c = assertThrows(IOException.class, () -> IndexReader.open(cleared.toString()));
        assertTrue(c.getMessage().contains(m.segments().get(0).path())
                && c.getMessage().contains("records no centroid bias, though the manifest says every segment"), c.getMessage());
        // A manifest written before segments recorded their biases does not ask for them.
        Files.writeString(cleared.resolve("manifest.json"), clearedJson
                .replace("\"segment_centroid_biases\" : true", "\"segment_centroid_biases\" : null"));
        try (IndexReader older = IndexReader.open(cleared.toString())) {
            assertEquals(10, older.search(data[1].row(0), 10, 40, 0).size());
        }
    }

    private static void assertRefusedForItsCentroid(Path index) {
        IOException e = assertThrows(IOException.class, () -> IndexReader.open(index.toString()));
        assertTrue(e.getMessage().contains("part-0000") && e.getMessage().contains("the manifest routes it by centroid")
                && e.getMessage().contains("centroids.fvecs"), e.getMessage());
        // A lazy reader refuses it when a search first needs it: every segment for nprobe 0.
        try (IndexReader lazy = IndexReader.open(index.toString(), ReaderOptions.defaults().withLazySegments(true))) {
            RuntimeException r = assertThrows(RuntimeException.class, () -> lazy.search(data[1].row(0), 10, 40, 0));
            assertTrue(r.getMessage().contains("the manifest routes it by centroid"), r.getMessage());
        } catch (IOException io) {
            throw new java.io.UncheckedIOException(io);
        }
    }

    @Test
    void aQueryForMoreThanItsNearestSegmentsHoldGetsAFullAnswer() throws IOException {
        // Probe helper 40: 120 vectors in 8 segments, k 50 at nprobe 8 answered 4 to 49 ids, the reach rule
        // having passed over segments measured for k = 10 (and nprobe 1 stops at one segment of ~20 vectors).
        Path small = tmp.resolve("routed-small");
        TestIndexes.writeRouted(small, data[0].head(120), 6, new HnswParams(12, 80, 1, Metric.L2));
        try (IndexReader routed = IndexReader.open(small.toString())) {
            for (int q = 0; q < 20; q++) {
                float[] query = data[1].row(q);
                SearchResults one = routed.search(query, 100, 120, 1);
                assertEquals(100, one.size(), "nprobe 1, query " + q);
                assertEquals(100, Arrays.stream(one.ids()).distinct().count(), "nprobe 1, query " + q);
                SearchResults every = routed.search(query, 100, 120, 6);
                assertTrue(every.matches(routed.exactSearch(query, 100), 1e-6), "nprobe 6, query " + q);
            }
        }
        // Probe helper 42: routing adds up stored rows, replicas included, so the segments it chose held fewer than k
        // distinct vectors (k 200 of 200 vectors in 8 segments at --replication 0.5 answered 130 ids).
        Path replicated = tmp.resolve("routed-replicated");
        TestIndexes.writeRouted(replicated, data[0].head(120), 6, new HnswParams(12, 80, 1, Metric.L2), true);
        try (IndexReader routed = IndexReader.open(replicated.toString())) {
            List<float[]> queries = new ArrayList<>();
            for (int q = 0; q < 20; q++) {
                queries.add(data[1].row(q));
            }
            List<SearchResults> batch = routed.searchBatch(queries, 100, 120, 1);
            for (int q = 0; q < queries.size(); q++) {
                for (SearchResults found : List.of(routed.search(queries.get(q), 100, 120, 1), batch.get(q))) {
                    assertEquals(100, found.size(), "replicated, nprobe 1, query " + q);
                    assertEquals(100, Arrays.stream(found.ids()).distinct().count(), "replicated, nprobe 1, query " + q);
                }
                assertEquals(120, routed.search(queries.get(q), 120, 120, 2).size(), "replicated, all 120, query " + q);
            }
        }
    }

    @Test
    void aBatchIsSearchedInStepsOfBoundedPartialResults() {
        // Probe helper 40: steps of 65,536 searches held 8 GB of partial results at k = 10,000.
        assertEquals(16_384, FanOut.queriesPerStep(FanOut.RESULTS_PER_CHUNK, 4, 10));
        assertEquals(16, FanOut.queriesPerStep(FanOut.RESULTS_PER_CHUNK, 4, 10_000));
        assertEquals(1, FanOut.queriesPerStep(FanOut.RESULTS_PER_CHUNK, 16, Integer.MAX_VALUE));
    }

    @Test
    void badNprobeIsAClearError() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.search(data[1].row(0), 10, 40, 2));
        assertTrue(e.getMessage().contains("partitioned at random"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> reader.search(data[1].row(0), 10, 40, -1));
        assertTrue(e.getMessage().contains("nprobe must be in 0..4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> reader.search(data[1].row(0), 10, 40, 5));
        assertTrue(e.getMessage().contains("partitioned at random"), e.getMessage());
        // Every segment by count is still a routed request on an index that has no routing.
        e = assertThrows(IllegalArgumentException.class, () -> reader.search(data[1].row(0), 10, 40, 4));
        assertTrue(e.getMessage().contains("partitioned at random"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> reader.search(data[1].row(0), 10, IndexReader.MAX_EF + 1, 0));
        assertTrue(e.getMessage().contains("must be at most " + IndexReader.MAX_EF), e.getMessage());
        assertEquals(0, reader.defaultNprobe());
        assertEquals(IndexReader.DEFAULT_EF, reader.defaultEf());
    }

    @Test
    void formatOneIndexesStillOpen() throws IOException {
        Path old = copyIndex("format-one");
        Path manifest = old.resolve("manifest.json");
        Files.writeString(manifest, TestIndexes.editable(manifest).replace("\"format_version\" : 2", "\"format_version\" : 1"));
        try (IndexReader v1 = IndexReader.open(old.toString())) {
            assertEquals(1, v1.manifest().formatVersion());
            assertTrue(reader.search(data[1].row(3), 10, 40).matches(v1.search(data[1].row(3), 10, 40), 1e-6));
        }
    }

    @Test
    void theSameSegmentListedTwiceIsRefused() throws IOException {
        Path twice = copyIndex("twice");
        Path manifest = twice.resolve("manifest.json");
        String json = TestIndexes.editable(manifest);
        // Segment 1's entry pointing at segment 0's file under another spelling of its path.
        IndexManifest m = IndexManifest.parse(json.getBytes(StandardCharsets.UTF_8), "m");
        IndexManifest.Segment s0 = m.segments().get(0);
        IndexManifest.Segment s1 = m.segments().get(1);
        Files.writeString(manifest, json.replace("\"" + s1.path() + "\"", "\"segments//" + s0.path().substring(9) + "\"")
                .replace("\"crc32c\" : " + s1.crc32c(), "\"crc32c\" : " + s0.crc32c()));
        Exception e = assertThrows(RuntimeException.class, () -> IndexReader.open(twice.toString()));
        assertTrue(e.getMessage().contains("listed twice") || e.getMessage().contains("another listed segment"), e.getMessage());
    }

    @Test
    void mergeKeepsAnIdFoundInTwoSegmentsOnce() {
        SearchResults a = new SearchResults(new long[]{7, 3, 9}, new float[]{0.1f, 0.2f, 0.5f});
        SearchResults b = new SearchResults(new long[]{3, 8, 7}, new float[]{0.2f, 0.3f, 0.6f});
        SearchResults merged = TopK.merge(new SearchResults[]{a, b}, 4);
        assertArrayEquals(new long[]{7, 3, 8, 9}, merged.ids());
        SearchResults fewer = TopK.merge(new SearchResults[]{new SearchResults(new long[]{1, 2}, new float[]{1, 2}),
                new SearchResults(new long[]{2, 1}, new float[]{2, 3})}, 10);
        assertArrayEquals(new long[]{1, 2}, fewer.ids(), "fewer than k distinct ids: no padding, no repeats");
    }

    @Test
    void badQueries() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.search(new float[3], 10, 40));
        assertTrue(e.getMessage().contains("dimension 3, expected 24"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> reader.search(data[1].row(0), 0, 40));
        assertThrows(IllegalArgumentException.class, () -> reader.search(data[1].row(0), 50, 40));
        float[] nan = data[1].row(0);
        nan[3] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> reader.search(nan, 10, 40));
    }

    private static Path copyIndex(String name) throws IOException {
        return TestIndexes.copy(dir, tmp.resolve(name));
    }

    @Test
    void missingManifestOrSegmentIsNamed() throws IOException {
        Path noManifest = copyIndex("no-manifest");
        Files.delete(noManifest.resolve("manifest.json"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> IndexReader.open(noManifest.toString()));
        assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
        Path noSegment = copyIndex("no-segment");
        Files.delete(noSegment.resolve("segments/part-00002.hseg"));
        e = assertThrows(NoSuchFileException.class, () -> IndexReader.open(noSegment.toString()));
        assertTrue(e.getMessage().contains("part-00002.hseg"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> IndexReader.open(tmp.resolve("nowhere").toString()));
    }

    @Test
    void unknownManifestVersionTruncatedAndCorruptSegments() throws IOException {
        Path future = copyIndex("future");
        Path manifest = future.resolve("manifest.json");
        Files.writeString(manifest, TestIndexes.editable(manifest).replace("\"format_version\" : 2", "\"format_version\" : 9"));
        Exception e = assertThrows(RuntimeException.class, () -> IndexReader.open(future.toString()));
        assertTrue(e.getMessage().contains("format_version 9"), e.getMessage());

        Path truncated = copyIndex("truncated");
        Path seg = truncated.resolve("segments/part-00001.hseg");
        byte[] bytes = Files.readAllBytes(seg);
        Files.write(seg, Arrays.copyOf(bytes, bytes.length - 1000));
        IOException io = assertThrows(IOException.class, () -> IndexReader.open(truncated.toString()));
        assertTrue(io.getMessage().contains("part-00001.hseg") && io.getMessage().contains("truncated"), io.getMessage());

        Path corrupt = copyIndex("corrupt");
        seg = corrupt.resolve("segments/part-00003.hseg");
        bytes = Files.readAllBytes(seg);
        bytes[bytes.length / 3] ^= 1;
        Files.write(seg, bytes);
        e = assertThrows(RuntimeException.class, () -> IndexReader.open(corrupt.toString()));
        assertTrue(e.getMessage().contains("part-00003.hseg") && e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void segmentFromAnotherIndexIsRefused() throws IOException {
        Path mixed = copyIndex("mixed");
        Files.copy(dir.resolve("segments/part-00000.hseg"), mixed.resolve("segments/part-00001.hseg"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // Same size by chance is unlikely; either the size or the CRC32C check names the segment.
        IOException e = assertThrows(IOException.class, () -> IndexReader.open(mixed.toString()));
        assertTrue(e.getMessage().contains("part-00001.hseg"), e.getMessage());
        assertTrue(new String(Files.readAllBytes(mixed.resolve("manifest.json")), StandardCharsets.UTF_8).contains("part-00001"));
    }

    @Test
    void fileUrisNameTheDirectoryTheBuildWrote() throws IOException {
        // The build and search-job read a file: URI through Hadoop's Path, which takes the path as written:
        // "%20" stays three characters, a space stays a space.
        Path spaced = TestIndexes.copy(dir, tmp.resolve("a b").resolve("idx"));
        Path percent = TestIndexes.copy(dir, tmp.resolve("a%20c").resolve("idx"));
        for (String uri : new String[]{"file:" + spaced, "file://" + spaced, "file://localhost" + spaced, "file:" + percent}) {
            try (IndexReader reader = IndexReader.open(uri)) {
                assertEquals(12_000, reader.size(), uri);
            }
        }
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> IndexReader.open("file:" + tmp.resolve("a%20b").resolve("idx")));
        assertTrue(missing.getMessage().contains("a%20b"), missing.getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IndexReader.open("file://storage-host/idx"));
        assertTrue(e.getMessage().contains("on host storage-host"), e.getMessage());
    }

    @Test
    void unsupportedScheme() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IndexReader.open("gs://bucket/x"));
        assertTrue(e.getMessage().contains("unsupported scheme"), e.getMessage());
    }

    /**
     * Under ip a query far shorter than the indexed vectors has dot products that float32 distances ({@code 1 - x.q})
     * cannot rank (probe helper 32: recall 0.72 at length 1e-6 against unit vectors, unnoticed): the reader searches it
     * scaled up by the typical length the manifest records, which changes no ranking, and converts the distances back.
     */
    @Test
    void anIpQueryTooShortForTheIndexIsAnsweredAsItsLongerSelf() throws IOException {
        Path ipDir = tmp.resolve("ip");
        IndexManifest written = TestIndexes.write(ipDir, data[0], 2, new HnswParams(12, 80, 1, Metric.IP), 2);
        assertTrue(written.vectorLength() != null && written.vectorLength() > 0, "recorded " + written.vectorLength());
        try (IndexReader ip = IndexReader.open(ipDir.toString())) {
            List<float[]> tiny = new ArrayList<>();
            for (int q = 0; q < 20; q++) {
                float[] query = data[1].row(q);
                float[] shortQuery = query.clone();
                for (int d = 0; d < shortQuery.length; d++) {
                    shortQuery[d] *= 1e-7f;
                }
                tiny.add(shortQuery);
                SearchResults full = ip.search(query, 10, 40);
                SearchResults scaled = ip.search(shortQuery, 10, 40);
                assertArrayEquals(full.ids(), scaled.ids(), "query " + q);
                for (int i = 0; i < 10; i++) {
                    // 1 - x.(1e-7 q) = 1 - 1e-7 (1 - d): the distance of the query as given.
                    assertEquals(1 - 1e-7 * (1 - full.distances()[i]), scaled.distances()[i], 1e-7, "query " + q + " result " + i);
                }
                assertArrayEquals(ip.exactSearch(query, 10).ids(), ip.exactSearch(shortQuery, 10).ids(), "exact, query " + q);
            }
            List<SearchResults> batch = ip.searchBatch(tiny, 10, 40);
            for (int q = 0; q < 20; q++) {
                assertArrayEquals(ip.search(data[1].row(q), 10, 40).ids(), batch.get(q).ids(), "batch, query " + q);
            }
        }
    }
}
