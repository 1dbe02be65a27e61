package io.hnswseg.manifest;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** Asserts that the manifest is refused with a message holding every fragment. */
    /** A written manifest as one edited by hand starts: its checksum field taken out, since the edit changes its bytes. */
    static String edited(byte[] written) {
        String json = new String(written, StandardCharsets.UTF_8);
        String unsealed = json.replaceFirst(",\\s*\"" + ManifestChecksum.FIELD + "\" : \\d+(\\s*\\})\\s*$", "$1");
        assertTrue(!unsealed.equals(json), "the written manifest ends with its checksum");
        return unsealed;
    }

    /** Every written manifest carries its checksum, and any change of a byte before it is refused. */
    @Test
    void aManifestChangedAfterItWasWrittenIsRefused() {
        byte[] written = sample().toJson();
        assertTrue(new String(written, StandardCharsets.UTF_8).matches("(?s).*,\\n  \"manifest_crc32c\" : \\d+\\n}"));
        String changed = new String(written, StandardCharsets.UTF_8).replace("\"dimension\" : 128", "\"dimension\" : 129");
        refused(changed, "its bytes have CRC32C", "manifest_crc32c");
        refused(new String(written, StandardCharsets.UTF_8).replace("\"manifest_crc32c\" : ", "\"manifest_crc32c\" : 1"), "manifest_crc32c");
        // Fields after it are covered by nothing, so refused too (probe helper 97), and so is a fraction.
        String sealed = new String(written, StandardCharsets.UTF_8);
        refused(sealed.substring(0, sealed.lastIndexOf('}')) + ", \"foo\" : { }\n}", "not a number after the last other field");
        refused(sealed.substring(0, sealed.lastIndexOf('\n')) + ".5\n}", "not a number after the last other field");
        assertEquals(128, IndexManifest.parse((sealed + "\n \n").getBytes(StandardCharsets.UTF_8), "trailing space").dimension());
        // Read as written once the field is taken out, as before it existed.
        assertEquals(129, IndexManifest.parse(edited(changed.getBytes(StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8), "edited")
                .dimension());
        assertTrue(IndexManifest.checksummed(written));
        assertFalse(IndexManifest.checksummed(edited(written).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * One byte of the checksum's name altered made it an unknown field, read past with the manifest unchecked (probe
     * helper 97); a last field that looks like it is refused. Other unknown fields are read past, last too, so that a
     * later build's manifest stays readable with its checksum removed by hand (review helper 101).
     */
    @Test
    void aChecksumWhoseNameWasAlteredIsRefused() {
        String sealed = new String(sample().toJson(), StandardCharsets.UTF_8);
        String changed = sealed.replace("\"dimension\" : 128", "\"dimension\" : 129");
        refused(changed.replace("manifest_crc32c", "manifest_crc33c"), "its last field \"manifest_crc33c\"", "damaged or edited");
        refused(changed.replace("manifest_crc32c", "manifest_crc32C"), "\"manifest_crc32C\"");
        String unsealed = edited(sample().toJson());
        String addedFirst = unsealed.replaceFirst("\\{", "{ \"added_later\" : 1,");
        assertEquals(128, IndexManifest.parse(addedFirst.getBytes(StandardCharsets.UTF_8), "added first").dimension());
        String addedLast = unsealed.substring(0, unsealed.lastIndexOf('}')) + ", \"added_later\" : 1 }";
        assertEquals(128, IndexManifest.parse(addedLast.getBytes(StandardCharsets.UTF_8), "added last").dimension());
        // The shape of a manifest from before vector_length was recorded (2026-12-05): it ends with summary.
        assertTrue(unsealed.contains("\"summary\"") && !unsealed.contains("vector_length"), unsealed);
        assertTrue(unsealed.strip().matches("(?s).*\"summary\" : \\{[^{}]*\\}\\s*}"), "ends with summary: " + unsealed);
        assertEquals(128, IndexManifest.parse(unsealed.getBytes(StandardCharsets.UTF_8), "summary last").dimension());
    }

    private static void refused(String json, String... fragments) {
        String e = error(json);
        for (String fragment : fragments) {
            assertTrue(e.contains(fragment), e);
        }
    }

    private static String error(String json) {
        return assertThrows(InvalidManifestException.class,
                () -> IndexManifest.parse(json.getBytes(StandardCharsets.UTF_8), "idx/manifest.json")).getMessage();
    }

    /**
     * An application's Jackson before 2.15 failed every manifest with "Can not set final int field", blaming the index
     * (probe helper 103, checked by hand with 2.10.5, 2.13.5 and 2.15.0 jars): it is named, with where it came from.
     */
    @Test
    void aJacksonTooOldForManifestsIsNamed() throws Exception {
        JacksonVersion.require();
        java.net.URL jar = new java.net.URL("file:/app/lib/jackson-databind-2.13.5.jar");
        String e = assertThrows(IllegalStateException.class, () -> JacksonVersion.require(
                new com.fasterxml.jackson.core.Version(2, 13, 5, null, "com.fasterxml.jackson.core", "jackson-databind"), jar)).getMessage();
        assertTrue(e.startsWith("hnswseg reads index manifests with jackson-databind 2.15 or later, and this JVM loaded 2.13.5 (from "
                + jar + ")"), e);
        JacksonVersion.require(new com.fasterxml.jackson.core.Version(2, 15, 0, null, null, null), null);
        JacksonVersion.require(new com.fasterxml.jackson.core.Version(3, 0, 0, null, null, null), null);
    }

    @Test
    void badManifestsNameTheProblem() {
        String good = edited(sample().toJson());
        refused(good.replace("\"format_version\" : 2", "\"format_version\" : 9"), "idx/manifest.json", "format_version 9");
        refused(good.replace("\"total_count\" : 30", "\"total_count\" : 31"), "add up to 30");
        refused(good.replace("part-00001", "part-00000"), "listed twice");
        refused(good.replace("segments/part-00000.hseg", "../escape.hseg"), "must be relative");
        // A line break would split the path in a reader's lease (review helper 113); shown escaped.
        refused(good.replace("segments/part-00000.hseg", "segments/part-0\\nx.hseg"),
                "segments[0] path \"segments/part-0\\nx.hseg\" holds a control character");
        refused(good.replace("\"l2\"", "\"manhattan\""), "manhattan");
        refused("{ not json", "not a valid manifest: malformed JSON at line 1, column 3");
        // Without the parser's words for its programmers (probe helper 81: "[Source: REDACTED (`StreamReadFeature...`").
        assertFalse(error(good.substring(0, 40)).contains("Source") || error(good.substring(0, 40)).contains("REDACTED"),
                error(good.substring(0, 40)));
        assertFalse(good.contains("null"), "absent fields are left out: " + good);
        // A value of the wrong type names its field, without the parser's hints (review helper 83).
        String typed = error(good.replace("\"dimension\" : 128", "\"dimension\" : \"128\""));
        assertTrue(typed.contains("field dimension: ") && !typed.contains("coercion") && !typed.contains("malformed"), typed);
        String nulled = error(good.replace("\"segments\" : [ {", "\"segments\" : [ null, {"));
        assertFalse(nulled.contains("NullPointerException"), nulled);
        // Read as written or not at all: trailing text, a field twice, a count as a string or a fraction.
        refused(good + " {}", "not a valid manifest");
        refused(good.replace("\"total_count\" : 30", "\"total_count\" : 30, \"total_count\" : 31"), "Duplicate field 'total_count'");
        refused(good.replace("\"dimension\" : 128", "\"dimension\" : \"128\""), "not a valid manifest");
        refused(good.replace("\"total_count\" : 30", "\"total_count\" : 30.5"), "not a valid manifest");
        // The same file under two spellings of its path, or under two names: every id would come back twice.
        refused(good.replace("segments/part-00001.hseg", "segments//./part-00000.hseg"), "listed twice (as segments/part-00000.hseg)");
        refused(good.replace("\"bytes\" : 8192", "\"bytes\" : 4096").replace("\"crc32c\" : 7", "\"crc32c\" : 3405691582"), "size and CRC32C of another");
        refused(good.replace("\"total_count\" : 30", "\"total_count\" : 0").replace("\"count\" : 10", "\"count\" : 0")
                .replace("\"count\" : 20", "\"count\" : 0"), "has count 0", "must be > 0");
        // One empty segment among full ones: a lazy reader trusting the count would never search it.
        refused(good.replace("\"total_count\" : 30", "\"total_count\" : 20").replace("\"count\" : 10", "\"count\" : 0"), "segments/part-00000.hseg has count 0");
        refused(good.replace("\"segments\" : [", "\"segments\" : [ ], \"unused\" : [").replace("\"total_count\" : 30", "\"total_count\" : 0"), "holds no vectors");
        // More distinct vectors than vectors, or none: the reach rule's guard would count what is not there.
        refused(good.replaceFirst("\"crc32c\" : 3405691582", "\"crc32c\" : 3405691582, \"distinct\" : 11"), "has 11 distinct vectors of 10");
        refused(good.replaceFirst("\"crc32c\" : 3405691582", "\"crc32c\" : 3405691582, \"distinct\" : 0"), "has 0 distinct vectors of 10");
        assertEquals(4L, IndexManifest.parse(good.replaceFirst("\"crc32c\" : 3405691582", "\"crc32c\" : 3405691582, \"distinct\" : 4")
                .getBytes(StandardCharsets.UTF_8), "idx/manifest.json").segments().get(0).distinctOrCount());
        assertEquals(20L, sample().segments().get(1).distinctOrCount(), "a manifest without distinct counts: the count");
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
        String older = edited(m.toJson()).replace(",\n      \"bytes_scored_per_query\" : 123456", "");
        assertTrue(!older.contains("bytes_scored"), older);
        assertEquals(0, IndexManifest.parse(older.getBytes(StandardCharsets.UTF_8), "older").quality().defaults().bytesScoredPerQuery());
        assertEquals(null, IndexManifest.parse(older.getBytes(StandardCharsets.UTF_8), "older").quality().defaults().recallAt10ByIds());
        IndexManifest.GridPoint byIds = new IndexManifest.GridPoint(0, 40, 0.9612, 87.5, 123_456, 0.9401);
        IndexManifest withIds = new IndexManifest(2, "l2", 128, new IndexManifest.BuildParams(16, 100, 42), 30, sample().segments(), null,
                new IndexManifest.Quality(100, "test", 0.95, true, byIds, List.of(byIds)), Map.of(), 1.5);
        assertTrue(new String(withIds.toJson(), StandardCharsets.UTF_8).contains("\"recall_at10_by_ids\" : 0.9401"), withIds.toString());
        IndexManifest read = IndexManifest.parse(withIds.toJson(), "test");
        assertEquals(byIds, read.quality().defaults());
        assertEquals(1.5, read.vectorLength());
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
        String good = edited(routed.toJson());
        refused(good.replace("\"centroid\" : 0", "\"centroid\" : 1"), "its own centroid");
        refused(good.replace("\"centroid\" : 0", "\"centroid\" : 2"), "centroid 2");
        refused(good.replace("\"replicated_vectors\" : 3", "\"replicated_vectors\" : 0"), "add up to 30");
        refused(good.replace("\"count\" : 2,", "\"count\" : 3,"), "routing.centroids");
        refused(good.replace("[ 0.0, 0.5 ]", "[ 0.0, null ]"), "routing.biases[1] is null");
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
        String good = edited(routed.toJson());
        String defaults = "\"defaults\" : {\n      \"nprobe\" : 2,\n      \"ef\" : 40";
        assertTrue(good.contains(defaults), good);
        refused(good.replace(defaults, defaults.replace("\"ef\" : 40", "\"ef\" : 0")), "quality.defaults: ef 0 outside 1..10000");
        refused(good.replace(defaults, defaults.replace("\"ef\" : 40", "\"ef\" : 20000")), "ef 20000");
        refused(good.replace(defaults, defaults.replace("\"nprobe\" : 2", "\"nprobe\" : -1")), "quality.defaults: nprobe -1 outside 0..2");
        refused(good.replace(defaults, "\"defaults\" : null, \"unused\" : {\n      \"nprobe\" : 2,\n      \"ef\" : 40"), "quality: needs both defaults and grid");
    }
}
