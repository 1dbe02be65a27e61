package io.hnswseg.segment;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.HnswGraphBuilder;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crafted segment files: headers that describe impossible sizes with a valid checksum, and bodies whose
 * links, offsets or levels point outside their sections, opened with and without verification.
 */
class SegmentCorruptionTest {

    private static FloatMatrix[] data;
    private static HnswGraph graph;
    private static byte[] bytes;

    @TempDir
    Path dir;

    @BeforeAll
    static void build() {
        data = Fixtures.clustered(2_000, 20, 16, 8);
        graph = Fixtures.build(data[0], new HnswParams(4, 40, 3, Metric.L2), 1);
        bytes = TestSegments.write(graph);
    }

    private Path file(byte[] content) throws Exception {
        Path p = dir.resolve("crafted.hseg");
        Files.write(p, content);
        return p;
    }

    /** Opening {@code content}, verified, fails naming the file and containing {@code problem}. */
    private void refusedOnOpen(byte[] content, String problem) throws Exception {
        Path p = file(content);
        for (boolean verify : new boolean[]{true, false}) {
            CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(p, verify).close(),
                    "verify " + verify);
            assertEquals(p.toString(), e.file());
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains(problem), e.getMessage());
        }
    }

    /**
     * A header of {@code count} vectors whose stored offsets are those the layout arithmetic gives (wrapping
     * included, as the reader used to compute them), then the footer with a valid checksum.
     */
    private static byte[] craft(long count, int dimension, int m, long upperDataInts, int topLevel, int entryNode) {
        SegmentLayout layout = SegmentLayout.of(count, dimension, m, upperDataInts, false, false, SegmentLayout.FORMAT_VERSION);
        byte[] out = new byte[(int) layout.fileBytes()];
        ByteBuffer b = TestSegments.little(out);
        b.putLong(0, SegmentLayout.MAGIC).putInt(8, 1).putInt(12, 0).putInt(16, dimension).putInt(20, m).putInt(24, 100)
                .putInt(28, topLevel).putLong(32, count).putInt(40, entryNode).putLong(56, upperDataInts);
        long[] offsets = {layout.idsOffset(), layout.levelsOffset(), layout.vectorsOffset(), layout.layer0Offset(),
                layout.upperIndexOffset(), layout.upperDataOffset(), layout.footerOffset()};
        for (int i = 0; i < offsets.length; i++) {
            b.putLong(64 + 8 * i, offsets[i]);
        }
        b.putInt(out.length - 4, SegmentLayout.FOOTER_MAGIC);
        return TestSegments.withValidChecksum(out);
    }

    @Test
    void headerWhoseSizesWrapAroundIsRefused() throws Exception {
        // 2^30 vectors of dimension 129 with m = 2,147,483,581: the section sizes add up to 2^64 + 200, so
        // 64-bit arithmetic that wraps puts the footer at byte 192 of a 200-byte file.
        byte[] crafted = craft(1L << 30, 129, 2_147_483_581, 3L << 28, 0, 0);
        assertEquals(200, crafted.length);
        refusedOnOpen(crafted, "m must be in [2, 512], got 2147483581");
    }

    @Test
    void headerFieldsOutOfRangeAreRefused() throws Exception {
        refusedOnOpen(craft(0, Integer.MAX_VALUE, 16, 0, 0, -1), "dimension");
        refusedOnOpen(craft(10, 4, 1, 0, 0, 0), "m must be in [2, 512], got 1");
        refusedOnOpen(craft(10, 4, 513, 0, 0, 0), "m must be in [2, 512], got 513");
        // A top level with no upper data to hold the entry node's links.
        refusedOnOpen(craft(10, 4, 4, 0, 3, 0), "top level 3");
        // Upper data that is not a whole number of blocks, or more than every node at the top level needs.
        refusedOnOpen(craft(10, 4, 4, 7, 1, 0), "upper data");
        refusedOnOpen(craft(10, 4, 4, 55, 1, 0), "upper data");
        refusedOnOpen(craft(10, 4, 4, 0, 0, 10), "entry node 10");
        refusedOnOpen(craft(0, 4, 4, 0, 0, 0), "entry node 0");
        refusedOnOpen(craft(0, 4, 4, 5, 0, -1), "upper data");
    }

    @Test
    void entryNodeBelowTheTopLevelIsRefused() throws Exception {
        byte[] wrong = bytes.clone();
        SegmentLayout layout = TestSegments.layout(wrong);
        wrong[(int) layout.levelsOffset() + graph.entryNode()] = 0;
        refusedOnOpen(TestSegments.withValidChecksum(wrong), "entry node " + graph.entryNode() + " is on level 0");
    }

    @Test
    void aCopyChainThatTurnsBackIsRefused() throws Exception {
        // Rows 0..9 and 10..19 each hold one vector: nodes chained in increasing order, which bounds a search's walk along them.
        HnswGraphBuilder builder = new HnswGraphBuilder(16, 200, new HnswParams(4, 40, 3, Metric.L2));
        for (int r = 0; r < 200; r++) {
            int row = r < 20 ? r / 10 : r;
            builder.add(r, data[0].data(), row * 16);
        }
        byte[] copies = TestSegments.write(builder.build(1));
        SegmentLayout layout = TestSegments.layout(copies);
        assertTrue(layout.copiesOffset() > 0);
        // Version 3 only with copies: readers from before the copies section refuse it by its version, and open the rest.
        assertEquals(3, TestSegments.little(copies).getInt(8));
        assertEquals(2, TestSegments.little(bytes).getInt(8));
        // Builds of 9d418ba to 7d6c013 (one day) wrote the same layout as version 2: read as it is (probe helper 35:
        // refused as "unknown header flags 0x3", corrupt).
        byte[] asVersion2 = copies.clone();
        TestSegments.little(asVersion2).putInt(8, 2);
        try (MappedSegment v2 = MappedSegment.open(file(TestSegments.withValidChecksum(asVersion2)), true)) {
            assertEquals(200, v2.size());
            assertArrayEquals(new long[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, java.util.Arrays.stream(v2.search(data[0].row(0), 10, 40).ids()).sorted().toArray(),
                    "the ten copies of row 0's vector");
        }
        byte[] asVersion1 = copies.clone();
        TestSegments.little(asVersion1).putInt(8, 1);
        refusedOnOpen(TestSegments.withValidChecksum(asVersion1), "unknown header flags 0x" + Integer.toHexString(TestSegments.little(copies).getInt(120)) + " (a version 1 segment may set 0x1)");
        int node = -1;
        for (int i = 0; node < 0; i++) {
            node = TestSegments.little(copies).getInt((int) layout.copiesOffset() + 4 * i) > i ? i : -1;
        }
        for (int next : new int[]{node, 200, -2, Integer.MIN_VALUE}) {
            byte[] wrong = copies.clone();
            TestSegments.little(wrong).putInt((int) layout.copiesOffset() + 4 * node, next);
            refusedOnOpen(TestSegments.withValidChecksum(wrong), "node " + node + " has its next copy at node " + next);
        }
        // Probe helper 21's edits: a chain into a node of the graph returned it twice (once walked, once as a copy,
        // at the wrong distance); two chains merged returned their common tail twice.
        byte[] intoTheGraph = copies.clone();
        TestSegments.little(intoTheGraph).putInt((int) layout.copiesOffset() + 4 * 9, 20);
        refusedOnOpen(TestSegments.withValidChecksum(intoTheGraph), "node 9 has its next copy at node 20, which is linked into the graph");
        byte[] merged = copies.clone();
        TestSegments.little(merged).putInt((int) layout.copiesOffset(), 2);
        refusedOnOpen(TestSegments.withValidChecksum(merged), "node 1 has its next copy at node 2, which is in another chain already");
        // A chain into another vector's copies (or a copy whose vector was changed) returned it at the distance of the
        // chain's first node (probe helper 98).
        byte[] another = copies.clone();
        TestSegments.little(another).putInt((int) layout.copiesOffset() + 4 * 9, 11);
        TestSegments.little(another).putInt((int) layout.copiesOffset() + 4 * 10, -1);
        refusedOnOpen(TestSegments.withValidChecksum(another), "node 9 has its next copy at node 11, whose vector differs in component 0");
        byte[] changed = copies.clone();
        int component = (int) layout.vectorsOffset() + 4 * (16 * 5 + 3);
        TestSegments.little(changed).putFloat(component, TestSegments.little(changed).getFloat(component) + 1);
        refusedOnOpen(TestSegments.withValidChecksum(changed), "node 4 has its next copy at node 5, whose vector differs in component 3");
    }

    /** Searching a file opened without verification fails naming the file and {@code problem}. */
    private void refusedOnSearch(byte[] content, String problem) throws Exception {
        Path p = file(content);
        try (MappedSegment s = MappedSegment.open(p, false)) {
            CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> {
                for (int q = 0; q < data[1].rows(); q++) {
                    s.search(data[1].row(q), 10, 40);
                }
            });
            assertEquals(p.toString(), e.file());
            assertTrue(e.getMessage().contains(problem), e.getMessage());
        }
    }

    @Test
    void linkOutsideTheSegmentIsReportedWithTheNode() throws Exception {
        SegmentLayout layout = TestSegments.layout(bytes);
        int node = graph.entryNode();
        for (int target : new int[]{-1, graph.size(), 1 << 30, Integer.MIN_VALUE}) {
            byte[] wrong = bytes.clone();
            // Layer 0 slot of the entry node: count, then 2M = 8 links; every search expands it.
            TestSegments.little(wrong).putInt((int) layout.layer0Offset() + 4 * 9 * node + 4, target);
            refusedOnSearch(wrong, "node " + node + " links to node " + target + " on layer 0");
        }
        byte[] upper = bytes.clone();
        int start = TestSegments.little(upper).getInt((int) layout.upperIndexOffset() + 4 * node);
        int topBlock = start + (graph.topLevel() - 1) * 5;
        TestSegments.little(upper).putInt((int) layout.upperDataOffset() + 4 * topBlock + 4, graph.size() + 7);
        refusedOnSearch(upper, "node " + node + " links to node " + (graph.size() + 7) + " on layer " + graph.topLevel());
    }

    @Test
    void upperIndexOutsideTheUpperDataIsReported() throws Exception {
        SegmentLayout layout = TestSegments.layout(bytes);
        int node = graph.entryNode();
        long upperDataInts = TestSegments.little(bytes).getLong(56);
        for (long start : new long[]{-1, upperDataInts - 1, Integer.MAX_VALUE}) {
            byte[] wrong = bytes.clone();
            TestSegments.little(wrong).putInt((int) layout.upperIndexOffset() + 4 * node, (int) start);
            refusedOnSearch(wrong, "node " + node + " has its upper-layer links at " + start);
        }
    }

    @Test
    void linkCountOutOfRangeIsReported() throws Exception {
        SegmentLayout layout = TestSegments.layout(bytes);
        int node = graph.entryNode();
        for (int count : new int[]{9, -1, Integer.MIN_VALUE}) {
            byte[] wrong = bytes.clone();
            TestSegments.little(wrong).putInt((int) layout.layer0Offset() + 4 * 9 * node, count);
            refusedOnSearch(wrong, "node " + node + " has " + count + " links on layer 0");
        }
    }

    @Test
    void aVectorCorruptedToANegativeNaNIsNeverRankedFirst() throws Exception {
        // Opened without verification, a vector whose component became a NaN with its sign bit set scores a negative
        // NaN, which the beam's ordering put ahead of every real distance: the corrupted row answered first, at NaN
        // (review helper 59). Every NaN now ranks last, so the rows that can be ranked answer.
        SegmentLayout layout = TestSegments.layout(bytes);
        int node = 123;
        byte[] wrong = bytes.clone();
        TestSegments.little(wrong).putInt((int) (layout.vectorsOffset() + 4L * data[0].dimension() * node), 0xFFC00000);
        try (MappedSegment s = MappedSegment.open(file(wrong), false)) {
            io.hnswseg.hnsw.SearchResults r = s.search(data[0].row(node), 10, 40);
            assertEquals(10, r.size());
            for (int i = 0; i < r.size(); i++) {
                assertTrue(!Float.isNaN(r.distances()[i]), "result " + i + " (id " + r.ids()[i] + ") at NaN: " + r);
            }
        }
    }
}
