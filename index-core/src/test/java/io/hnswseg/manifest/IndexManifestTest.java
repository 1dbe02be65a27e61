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
        return new IndexManifest(1, "l2", 128, new IndexManifest.BuildParams(16, 100, 42), 30,
                List.of(new IndexManifest.Segment("segments/part-00000.hseg", 10, 4096, 0xCAFEBABEL),
                        new IndexManifest.Segment("segments/part-00001.hseg", 20, 8192, 7L)),
                Map.of("vectors_per_second", 1234.5));
    }

    @Test
    void roundTripsThroughJson() {
        IndexManifest m = sample();
        String json = new String(m.toJson(), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"format_version\" : 1") && json.contains("\"total_count\" : 30")
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
        String e = error(good.replace("\"format_version\" : 1", "\"format_version\" : 9"));
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
    }
}
