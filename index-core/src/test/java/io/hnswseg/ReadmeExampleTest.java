package io.hnswseg;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.HnswGraphBuilder;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.segment.MappedSegment;
import io.hnswseg.segment.SegmentInfo;
import io.hnswseg.segment.SegmentWriter;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The README's "index-core from Java" example, kept compiling and true. */
class ReadmeExampleTest {

    @TempDir
    Path dir;

    @Test
    void readmeExample() throws Exception {
        FloatMatrix data = Fixtures.clustered(3_000, 1, 32, 9)[0];
        int dim = data.dimension();
        int count = data.rows();
        float[] vectors = data.data();
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
            ids[i] = 1000L + i;
        }
        float[] query = data.row(17);
        Path file = dir.resolve("part-0.hseg");

        HnswParams params = new HnswParams(16, 100, 42L, Metric.L2);
        HnswGraphBuilder builder = new HnswGraphBuilder(dim, count, params);
        for (int i = 0; i < count; i++) {
            builder.add(ids[i], vectors, i * dim);
        }
        HnswGraph graph = builder.build(Runtime.getRuntime().availableProcessors());
        SearchResults top = graph.search(query, 10, 64);
        SegmentInfo info;
        try (OutputStream out = Files.newOutputStream(file)) {
            info = SegmentWriter.write(graph, out);
        }
        try (MappedSegment segment = MappedSegment.open(file)) {
            SearchResults same = segment.search(query, 10, 64);
            Fixtures.assertSameResults(top, same, "mapped vs in memory");
        }
        assertEquals(1017L, top.ids()[0]);
        assertEquals(0f, top.distances()[0]);
        assertEquals(Files.size(file), info.bytes());
    }
}
