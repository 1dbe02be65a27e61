package io.hnswseg.segment;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.HnswGraphBuilder;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentRoundTripTest {

    private static FloatMatrix[] data;
    private static HnswGraph graph;
    private static byte[] bytes;
    private static SegmentInfo info;

    @TempDir
    Path dir;

    @BeforeAll
    static void build() throws Exception {
        data = Fixtures.clustered(6_000, 100, 20, 21);
        graph = Fixtures.build(data[0], new HnswParams(8, 60, 5, Metric.L2), 2);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        info = SegmentWriter.write(graph, out);
        bytes = out.toByteArray();
    }

    private Path file(byte[] content) throws Exception {
        Path p = dir.resolve("part-0.hseg");
        Files.write(p, content);
        return p;
    }

    /**
     * Every copy the builder chains opens: 0.0 and -0.0 are one vector, and under cosine so are v and 2v or v / 2
     * (always) or 3v (when it normalises alike). A segment whose copy does not hold its chain's vector is refused on open (probe helper
     * 98), so what the builder calls a copy must be exactly what that check accepts, with codes and without.
     */
    @Test
    void everyCopyTheBuilderChainsOpens() throws Exception {
        java.util.Random random = new java.util.Random(98);
        int dim = 12;
        int distinct = 200;
        float[] rows = new float[3 * distinct * dim];
        for (int r = 0; r < distinct; r++) {
            for (int d = 0; d < dim; d++) {
                rows[r * dim + d] = d == 0 ? 0f : (float) random.nextGaussian();
            }
            for (int d = 0; d < dim; d++) {
                float x = rows[r * dim + d];
                rows[(distinct + r) * dim + d] = d == 0 ? -0f : x;                      // the same vector, -0.0 for 0.0
                rows[(2 * distinct + r) * dim + d] = x * (r % 3 == 0 ? 3f : r % 3 == 1 ? 2f : 0.5f); // copies under cosine
            }
        }
        for (Metric metric : Metric.values()) {
            for (boolean codes : new boolean[]{true, false}) {
                HnswGraphBuilder builder = new HnswGraphBuilder(dim, 3 * distinct, new HnswParams(8, 40, 1, metric, codes));
                for (int r = 0; r < 3 * distinct; r++) {
                    builder.add(r, rows, r * dim);
                }
                HnswGraph built = builder.build(2);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                SegmentWriter.write(built, out);
                try (MappedSegment segment = MappedSegment.open(file(out.toByteArray()), true)) {
                    int copies = 3 * distinct - segment.distinctCount();
                    long scaledExactly = java.util.stream.IntStream.range(0, distinct).filter(r -> r % 3 != 0).count();
                    assertTrue(metric == Metric.COSINE ? copies >= distinct + scaledExactly : copies == distinct,
                            metric + ", codes " + codes + ": " + copies + " copies");
                    assertEquals(3 * distinct, segment.search(Arrays.copyOfRange(rows, 0, dim), 3 * distinct, 3 * distinct).ids().length);
                }
            }
        }
    }

    @Test
    void mappedSegmentGivesExactlyTheResultsOfTheGraph() throws Exception {
        assertEquals(bytes.length, info.bytes());
        assertEquals(6_000, info.count());
        try (MappedSegment segment = MappedSegment.open(file(bytes))) {
            assertEquals(info.crc32c(), segment.storedChecksum());
            assertEquals(graph.size(), segment.size());
            assertEquals(graph.entryNode(), segment.header().entryNode());
            assertEquals(graph.topLevel(), segment.header().topLevel());
            assertEquals(60, segment.header().efConstruction());
            for (int q = 0; q < data[1].rows(); q++) {
                for (int ef : new int[]{10, 40}) {
                    SearchResults expected = graph.search(data[1].row(q), 10, ef);
                    Fixtures.assertSameResults(expected, segment.search(data[1].row(q), 10, ef), "query " + q + " ef " + ef);
                }
            }
        }
    }

    @Test
    void version1SegmentsStillOpenAndGiveTheSameAnswers() throws Exception {
        byte[] v1 = TestSegments.asVersion1(bytes);
        assertTrue(v1.length < bytes.length, "the code errors section was cut out");
        try (MappedSegment segment = MappedSegment.open(file(v1))) {
            assertEquals(1, segment.header().formatVersion());
            for (int q = 0; q < data[1].rows(); q++) {
                for (int ef : new int[]{10, 40}) {
                    // Without the errors every candidate is re-ranked; with them the answer must be the same.
                    SearchResults expected = graph.search(data[1].row(q), 10, ef);
                    Fixtures.assertSameResults(expected, segment.search(data[1].row(q), 10, ef), "query " + q + " ef " + ef);
                }
            }
        }
    }

    @Test
    void aNegativeCodeErrorIsCorruption() throws Exception {
        byte[] bad = bytes.clone();
        SegmentLayout layout = TestSegments.layout(bad);
        TestSegments.little(bad).putFloat((int) layout.codeErrorsOffset() + 4 * 17, -1f);
        Path p = file(TestSegments.withValidChecksum(bad));
        CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(p, false));
        assertTrue(e.getMessage().contains("node 17 has a code error of -1.0"), e.getMessage());
    }

    @Test
    void aNegativeOrNonFiniteQuantizerStepIsCorruption() throws Exception {
        for (float scale : new float[]{-128f, Float.NaN, Float.POSITIVE_INFINITY}) {
            byte[] bad = bytes.clone();
            SegmentLayout layout = TestSegments.layout(bad);
            TestSegments.little(bad).putFloat((int) layout.quantizerOffset() + 4 * 3, scale);
            Path p = file(TestSegments.withValidChecksum(bad));
            CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(p, false));
            assertTrue(e.getMessage().contains("quantizer's component 3 has scale " + scale), e.getMessage());
        }
    }

    @Test
    void filesLargerThanOneMappingChunkWork() throws Exception {
        // Chunks of 4 KiB with 1 KiB overlap exercise the multi-buffer path that files over 2 GiB take
        // with the default 1 GiB chunks, on a file of a few hundred KiB.
        try (MappedSegment segment = MappedSegment.open(file(bytes), true, 12, 1024, MappedSegment.CHANGE_CHECK_NANOS)) {
            for (int q = 0; q < data[1].rows(); q++) {
                Fixtures.assertSameResults(graph.search(data[1].row(q), 10, 40), segment.search(data[1].row(q), 10, 40), "query " + q);
            }
            float[] v = new float[20];
            float[] w = new float[20];
            MappedGraph mapped = segment.graph();
            for (int node = 0; node < graph.size(); node += 97) {
                mapped.copyVector(node, v, 0);
                graph.copyVector(node, w, 0);
                assertArrayEquals(w, v);
                assertEquals(graph.externalId(node), mapped.externalId(node));
                assertEquals(graph.level(node), mapped.level(node));
            }
        }
    }

    @Test
    void writerOutputIsDeterministic() throws Exception {
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        SegmentWriter.write(graph, again);
        assertArrayEquals(bytes, again.toByteArray());
    }

    @Test
    void corruptedByteIsCaughtByTheChecksum() throws Exception {
        byte[] corrupt = bytes.clone();
        corrupt[corrupt.length / 2] ^= 0x10;
        Path p = file(corrupt);
        CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("checksum mismatch"), e.getMessage());
        assertEquals(p.toString(), e.file());
        // Skipping verification is the caller's explicit choice and opens the file.
        MappedSegment.open(p, false).close();
    }

    @Test
    void truncatedFileIsRefused() throws Exception {
        Path p = file(Arrays.copyOf(bytes, bytes.length - 100));
        CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(p, false));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Path tiny = file(Arrays.copyOf(bytes, 50));
        e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(tiny));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Path dir = java.nio.file.Files.createTempDirectory(tiny.getParent(), "not-a-segment");
        java.io.IOException notAFile = assertThrows(java.io.IOException.class, () -> MappedSegment.open(dir));
        assertTrue(notAFile.getMessage().equals(dir + " is a directory, not a segment file"), notAFile.getMessage());
    }

    @Test
    void unsupportedVersionAndBadMagic() throws Exception {
        byte[] future = bytes.clone();
        ByteBuffer.wrap(future).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 4);
        Path p = file(future);
        CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(p));
        assertTrue(e.getMessage().contains("unsupported segment format version 4 (this reader supports versions 1 to 3)"),
                e.getMessage());
        byte[] other = bytes.clone();
        other[0] = 'X';
        Path q = file(other);
        e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(q));
        assertTrue(e.getMessage().contains("not an hnswseg segment"), e.getMessage());
    }

    @Test
    void headerThatDisagreesWithTheLayoutIsRefused() throws Exception {
        byte[] wrong = bytes.clone();
        ByteBuffer.wrap(wrong).order(ByteOrder.LITTLE_ENDIAN).putLong(32, 5_999);
        Path p = file(wrong);
        CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(p, false));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void corruptLinkCountIsReportedNotFollowed() throws Exception {
        SegmentHeader h;
        try (MappedSegment s = MappedSegment.open(file(bytes))) {
            h = s.header();
        }
        byte[] wrong = bytes.clone();
        long layer0 = h.layout().layer0Offset();
        // The nearest node of a query is always expanded on layer 0 (ids are node numbers here).
        int nearest = (int) graph.search(data[1].row(0), 10, 40).ids()[0];
        ByteBuffer.wrap(wrong).order(ByteOrder.LITTLE_ENDIAN).putInt((int) layer0 + 4 * 17 * nearest, 1000);
        try (MappedSegment s = MappedSegment.open(file(wrong), false)) {
            CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> s.search(data[1].row(0), 10, 40));
            assertTrue(e.getMessage().contains("links"), e.getMessage());
        }
    }

    @Test
    void cosineAndIpSurviveTheRoundTrip() throws Exception {
        for (Metric metric : new Metric[]{Metric.COSINE, Metric.IP}) {
            HnswGraph g = Fixtures.build(data[0].head(1_000), new HnswParams(8, 40, 1, metric), 1);
            Path p = dir.resolve(metric + ".hseg");
            try (OutputStream out = Files.newOutputStream(p)) {
                SegmentWriter.write(g, out);
            }
            try (MappedSegment s = MappedSegment.open(p)) {
                assertEquals(metric, s.metric());
                for (int q = 0; q < 20; q++) {
                    Fixtures.assertSameResults(g.search(data[1].row(q), 5, 20), s.search(data[1].row(q), 5, 20), "query " + q);
                }
            }
        }
    }

    @Test
    void floatOnlySegmentRoundTrips() throws Exception {
        HnswGraph g = Fixtures.build(data[0].head(2_000), new HnswParams(8, 40, 1, Metric.L2, false), 1);
        Path p = dir.resolve("float.hseg");
        SegmentInfo written;
        try (OutputStream out = Files.newOutputStream(p)) {
            written = SegmentWriter.write(g, out);
        }
        assertTrue(written.bytes() < bytes.length, "no codes section");
        try (MappedSegment s = MappedSegment.open(p)) {
            assertTrue(!s.header().hasCodes());
            for (int q = 0; q < 20; q++) {
                Fixtures.assertSameResults(g.search(data[1].row(q), 5, 20), s.search(data[1].row(q), 5, 20), "query " + q);
            }
        }
    }

    @Test
    void quantizedSearchReturnsExactDistances() throws Exception {
        try (MappedSegment segment = MappedSegment.open(file(bytes))) {
            assertTrue(segment.header().hasCodes());
            SearchResults r = segment.search(data[1].row(3), 10, 40);
            for (int i = 0; i < r.size(); i++) {
                float exact = Metric.L2.distance(data[1].data(), 3 * 20, data[0].data(), (int) r.ids()[i] * 20, 20);
                assertEquals(exact, r.distances()[i], 1e-4f * exact, "distance of result " + i);
            }
        }
    }

    @Test
    void unknownFlagsAreRefused() throws Exception {
        byte[] future = bytes.clone();
        ByteBuffer.wrap(future).order(ByteOrder.LITTLE_ENDIAN).putInt(120, 6);
        Path p = file(future);
        CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(p, false));
        assertTrue(e.getMessage().contains("flags"), e.getMessage());
    }

    @Test
    void aSegmentRecordsItsCentroidsCrc() throws Exception {
        try (MappedSegment plain = MappedSegment.open(file(bytes))) {
            assertEquals(-1, plain.header().centroidCrc32c(), "written without one");
        }
        // Without one, bytes 152..191 stay zero as before the field existed.
        for (int at = 152; at < 192; at += 8) {
            assertEquals(0, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(at), "header bytes at " + at);
        }
        // 0 and the top of the unsigned range are CRCs like any other: presence is its own field.
        // A bias beside it, or none (a segment written before biases were recorded); 0 is a bias like any other.
        long[] crcs = {0, 0xFFFF_FFFFL, 0x8000_0001L, 7};
        float[] biases = {Float.NaN, -3.25e-7f, 0f, 1.5e4f};
        for (int i = 0; i < crcs.length; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            SegmentWriter.write(graph, out, crcs[i], biases[i]);
            try (MappedSegment segment = MappedSegment.open(file(out.toByteArray()))) {
                assertEquals(crcs[i], segment.header().centroidCrc32c());
                assertEquals(biases[i], segment.header().centroidBias());
                assertEquals(!Float.isNaN(biases[i]), segment.header().hasCentroidBias());
                Fixtures.assertSameResults(graph.search(data[1].row(0), 10, 40), segment.search(data[1].row(0), 10, 40), "query 0");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> SegmentWriter.write(graph, OutputStream.nullOutputStream(), 1L << 32, Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> SegmentWriter.write(graph, OutputStream.nullOutputStream(), -1, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> SegmentWriter.write(graph, OutputStream.nullOutputStream(), 3, Float.POSITIVE_INFINITY));
        byte[] bad = bytes.clone();
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(152, 2);
        Path p = file(TestSegments.withValidChecksum(bad));
        CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(p));
        assertTrue(e.getMessage().contains("centroid CRC present") && e.getMessage().contains("must be 0 or 1"), e.getMessage());
        // A bias flag other than 0 or 1, a bias without a centroid CRC, or a bias that is not finite: corrupt.
        ByteArrayOutputStream withBias = new ByteArrayOutputStream();
        SegmentWriter.write(graph, withBias, 5, 0.25f);
        int[][] headers = {{160, 2}, {152, 0}, {164, Float.floatToRawIntBits(Float.NaN)}};
        for (int[] change : headers) {
            byte[] altered = withBias.toByteArray();
            ByteBuffer.wrap(altered).order(ByteOrder.LITTLE_ENDIAN).putInt(change[0], change[1]);
            Path q = file(TestSegments.withValidChecksum(altered));
            CorruptSegmentException b = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(q), "byte " + change[0]);
            assertTrue(b.getMessage().contains("centroid bias present"), b.getMessage());
        }
    }

    /**
     * An unverified segment whose body a search finds corrupt (a link count out of range) fails every later
     * search, not only the queries whose walks pass the bad node: they would read the same bytes (found by
     * probe helper 20: 199 of 200 searches after the first failure still answered).
     */
    @Test
    void aBodyFoundCorruptFailsEverySearchFromThenOn() throws Exception {
        byte[] damaged = bytes.clone();
        SegmentLayout layout = TestSegments.layout(bytes);
        int node = graph.entryNode() == 17 ? 18 : 17;
        TestSegments.little(damaged).putInt((int) layout.layer0Offset() + 4 * (1 + 2 * 8) * node, 1000);
        try (MappedSegment segment = MappedSegment.open(file(damaged), false)) {
            int q = 0;
            CorruptSegmentException first = null;
            for (; q < data[1].rows() && first == null; q++) {
                try {
                    segment.search(data[1].row(q), 10, 400);
                } catch (CorruptSegmentException e) {
                    first = e;
                }
            }
            assertTrue(first != null && first.getMessage().contains("node " + node), "no search reached node " + node);
            for (int later = 0; later < data[1].rows(); later++) {
                int query = later;
                CorruptSegmentException again = assertThrows(CorruptSegmentException.class,
                        () -> segment.search(data[1].row(query), 10, 40), "query " + query + " after the failure");
                assertEquals(first.getMessage(), again.getMessage());
            }
        }
    }

    /**
     * A code row longer than the writer's 64 KiB buffer (found by probe helper 20: a bare BufferOverflowException
     * and a partial file), and a dimension no reader opens, refused before anything is written.
     */
    @Test
    void wideVectorsRoundTripAndTooWideOnesAreRefused() throws Exception {
        FloatMatrix wide = Fixtures.clustered(64, 2, 70_000, 3)[0];
        HnswGraph g = Fixtures.build(wide, new HnswParams(4, 10, 1, Metric.L2), 1);
        assertTrue(g.codes() != null, g.scoring());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SegmentWriter.write(g, out);
        try (MappedSegment segment = MappedSegment.open(file(out.toByteArray()))) {
            Fixtures.assertSameResults(g.search(wide.row(5), 3, 10), segment.search(wide.row(5), 3, 10), "row 5");
        }
        HnswGraphBuilder tooWide = new HnswGraphBuilder(SegmentHeader.MAX_DIMENSION + 1, 2, new HnswParams(4, 10, 1, Metric.L2, false));
        float[] v = new float[SegmentHeader.MAX_DIMENSION + 1];
        v[0] = 1;
        tooWide.add(0, v);
        HnswGraph built = tooWide.build(1);
        ByteArrayOutputStream none = new ByteArrayOutputStream();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SegmentWriter.write(built, none));
        assertTrue(e.getMessage().contains("exceeds the segment format's largest, 262144"), e.getMessage());
        assertEquals(0, none.size(), "nothing written");
    }

    @Test
    void closedSegmentRefusesSearches() throws Exception {
        MappedSegment s = MappedSegment.open(file(bytes));
        s.close();
        assertThrows(IllegalStateException.class, () -> s.search(data[1].row(0), 1, 10));
    }
}
