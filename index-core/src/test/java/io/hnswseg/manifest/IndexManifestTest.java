package io.hnswseg.manifest;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexManifestTest {

    private static IndexManifest sample() {
        return new IndexManifest("l2", 128, new IndexManifest.BuildParams(16, 100, 42), 30,
                List.of(new IndexManifest.Segment("segments/part-00000.hseg", 10, 4096, 0xCAFEBABEL),
                        new IndexManifest.Segment("segments/part-00001.hseg", 20, 8192, 7L)),
                Map.of("vectors_per_second", 1234.5));
    }

    @Test
    void roundTripsThroughJson() {
        IndexManifest m = sample();
        String json = new String(m.toJson(), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"format_version\" : 2") && json.contains("\"total_count\" : 30")
                && json.contains("\"ef_construction\" : 100"), json);
        IndexManifest back = IndexManifest.parse(m.toJson(), "test");
        assertEquals(m, back);
        assertEquals(0xCAFEBABEL, back.segments().get(0).crc32c());
    }

    private static String error(String json) {
        return assertThrows(InvalidManifestException.class,
                () -> IndexManifest.parse(json.getBytes(StandardCharsets.UTF_8), "idx/manifest.json")).getMessage();
    }

    @Test
    void badManifestsNameTheProblem() {
        String good = new String(sample().toJson(), StandardCharsets.UTF_8);
        String e = error(good.replace("\"format_version\" : 2", "\"format_version\" : 9"));
        assertTrue(e.contains("idx/manifest.json") && e.contains("format_version 9"), e);
        e = error(good.replace("\"total_count\" : 30", "\"total_count\" : 31"));
        assertTrue(e.contains("add up to 30"), e);
        e = error(good.replace("part-00001", "part-00000"));
        assertTrue(e.contains("listed twice"), e);
        e = error(good.replace("segments/part-00000.hseg", "../escape.hseg"));
        assertTrue(e.contains("must be relative"), e);
        e = error(good.replace("\"l2\"", "\"manhattan\""));
        assertTrue(e.contains("manhattan"), e);
        e = error("{ not json");
        assertTrue(e.contains("not a valid manifest"), e);
        // Read as written or not at all: trailing text, a field twice, a count as a string or a fraction.
        e = error(good + " {}");
        assertTrue(e.contains("not a valid manifest"), e);
        e = error(good.replace("\"total_count\" : 30", "\"total_count\" : 30, \"total_count\" : 31"));
        assertTrue(e.contains("Duplicate field 'total_count'"), e);
        e = error(good.replace("\"dimension\" : 128", "\"dimension\" : \"128\""));
        assertTrue(e.contains("not a valid manifest"), e);
        e = error(good.replace("\"total_count\" : 30", "\"total_count\" : 30.5"));
        assertTrue(e.contains("not a valid manifest"), e);
        // The same file under two spellings of its path, or under two names: every id would come back twice.
        e = error(good.replace("segments/part-00001.hseg", "segments//./part-00000.hseg"));
        assertTrue(e.contains("listed twice (as segments/part-00000.hseg)"), e);
        e = error(good.replace("\"bytes\" : 8192", "\"bytes\" : 4096").replace("\"crc32c\" : 7", "\"crc32c\" : 3405691582"));
        assertTrue(e.contains("size and CRC32C of another"), e);
        e = error(good.replace("\"total_count\" : 30", "\"total_count\" : 0").replace("\"count\" : 10", "\"count\" : 0")
                .replace("\"count\" : 20", "\"count\" : 0"));
        assertTrue(e.contains("has count 0") && e.contains("must be > 0"), e);
        // One empty segment among full ones: a lazy reader trusting the count would never search it.
        e = error(good.replace("\"total_count\" : 30", "\"total_count\" : 20").replace("\"count\" : 10", "\"count\" : 0"));
        assertTrue(e.contains("segments/part-00000.hseg has count 0"), e);
        e = error(good.replace("\"segments\" : [", "\"segments\" : [ ], \"unused\" : [").replace("\"total_count\" : 30", "\"total_count\" : 0"));
        assertTrue(e.contains("holds no vectors"), e);
    }

    @Test
    void gridPointsKeepTheirCountedCostAndOlderOnesReadAsZero() {
        IndexManifest.GridPoint point = new IndexManifest.GridPoint(0, 40, 0.9612, 87.5, 123_456);
        IndexManifest.Quality quality = new IndexManifest.Quality(100, "test", 0.95, true, point, List.of(point));
        IndexManifest m = new IndexManifest(2, "l2", 128, new IndexManifest.BuildParams(16, 100, 42), 30, sample().segments(), null,
                quality, Map.of());
        String json = new String(m.toJson(), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"bytes_scored_per_query\" : 123456"), json);
        assertEquals(point, IndexManifest.parse(m.toJson(), "test").quality().defaults());
        // Written before the count was recorded: the field is absent.
        String older = json.replace(",\n      \"bytes_scored_per_query\" : 123456", "");
        assertTrue(!older.contains("bytes_scored"), older);
        assertEquals(0, IndexManifest.parse(older.getBytes(StandardCharsets.UTF_8), "older").quality().defaults().bytesScoredPerQuery());
    }

    @Test
    void formatOneManifestsStillRead() {
        String v1 = "{\"format_version\": 1, \"metric\": \"cosine\", \"dimension\": 4, \"build\": {\"m\": 16, \"ef_construction\": 100, "
                + "\"seed\": 42}, \"total_count\": 5, \"segments\": [{\"path\": \"segments/a.hseg\", \"count\": 5, \"bytes\": 900, "
                + "\"crc32c\": 1}], \"summary\": {}}";
        IndexManifest m = IndexManifest.parse(v1.getBytes(StandardCharsets.UTF_8), "v1");
        assertEquals(1, m.formatVersion());
        assertEquals(IndexManifest.RANDOM, m.partitioner());
        assertTrue(!m.routed());
    }

    @Test
    void routedManifestsCheckCentroids() {
        IndexManifest.Routing routing = new IndexManifest.Routing(IndexManifest.KMEANS,
                new IndexManifest.FileRef("routing/centroids.fvecs", 2, 2 * (4 + 4 * 128), 9L), List.of(0f, 0.5f), 3);
        IndexManifest routed = new IndexManifest(2, "l2", 128, new IndexManifest.BuildParams(16, 100, 42), 27,
                List.of(new IndexManifest.Segment("segments/a.hseg", 10, 4096, 1L, 1),
                        new IndexManifest.Segment("segments/b.hseg", 20, 8192, 2L, 0)), routing, null, Map.of());
        IndexManifest back = IndexManifest.parse(routed.toJson(), "routed");
        assertEquals(routed, back);
        assertTrue(back.routed());
        String good = new String(routed.toJson(), StandardCharsets.UTF_8);
        String e = error(good.replace("\"centroid\" : 0", "\"centroid\" : 1"));
        assertTrue(e.contains("its own centroid"), e);
        e = error(good.replace("\"centroid\" : 0", "\"centroid\" : 2"));
        assertTrue(e.contains("centroid 2"), e);
        e = error(good.replace("\"replicated_vectors\" : 3", "\"replicated_vectors\" : 0"));
        assertTrue(e.contains("add up to 30"), e);
        e = error(good.replace("\"count\" : 2,", "\"count\" : 3,"));
        assertTrue(e.contains("routing.centroids"), e);
        e = error(good.replace("[ 0.0, 0.5 ]", "[ 0.0, null ]"));
        assertTrue(e.contains("routing.biases[1] is null"), e);
    }

    /** The recommended point is every reader's default search: one no reader can run is refused, naming the field. */
    @Test
    void recommendedSettingsMustBeSearchable() {
        IndexManifest.Routing routing = new IndexManifest.Routing(IndexManifest.KMEANS,
                new IndexManifest.FileRef("routing/centroids.fvecs", 2, 2 * (4 + 4 * 128), 9L), List.of(0f, 0.5f), 0);
        IndexManifest.GridPoint point = new IndexManifest.GridPoint(2, 40, 0.9612, 87.5, 123_456);
        IndexManifest routed = new IndexManifest(2, "l2", 128, new IndexManifest.BuildParams(16, 100, 42), 30,
                List.of(new IndexManifest.Segment("segments/a.hseg", 10, 4096, 1L, 1),
                        new IndexManifest.Segment("segments/b.hseg", 20, 8192, 2L, 0)), routing,
                new IndexManifest.Quality(100, "test", 0.95, true, point, List.of(point)), Map.of());
        assertEquals(routed, IndexManifest.parse(routed.toJson(), "routed"));
        String good = new String(routed.toJson(), StandardCharsets.UTF_8);
        String defaults = "\"defaults\" : {\n      \"nprobe\" : 2,\n      \"ef\" : 40";
        assertTrue(good.contains(defaults), good);
        String e = error(good.replace(defaults, defaults.replace("\"ef\" : 40", "\"ef\" : 0")));
        assertTrue(e.contains("quality.defaults: ef 0 outside 1..10000"), e);
        e = error(good.replace(defaults, defaults.replace("\"ef\" : 40", "\"ef\" : 20000")));
        assertTrue(e.contains("ef 20000"), e);
        e = error(good.replace(defaults, defaults.replace("\"nprobe\" : 2", "\"nprobe\" : -1")));
        assertTrue(e.contains("quality.defaults: nprobe -1 outside 0..2"), e);
        e = error(good.replace(defaults, "\"defaults\" : null, \"unused\" : {\n      \"nprobe\" : 2,\n      \"ef\" : 40"));
        assertTrue(e.contains("quality: needs both defaults and grid"), e);
    }
}
