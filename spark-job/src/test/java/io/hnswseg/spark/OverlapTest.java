package io.hnswseg.spark;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An output where the job's own input is read: also through a glob (probe helper 74: '/t/*' with the output /t/idx). */
class OverlapTest {

    @TempDir
    Path tmp;

    @Test
    void anOutputAGlobInputMatchesIsRefused() throws IOException {
        Path table = Files.createDirectories(tmp.resolve("t"));
        Configuration conf = new Configuration();
        String glob = table + "/*";
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Overlap.refuseWithin(conf, "--output", table.resolve("idx").toString(), "--input", glob));
        assertTrue(e.getMessage().contains("--input " + glob), e.getMessage());
        assertThrows(InvalidInputException.class,
                () -> Overlap.refuseWithin(conf, "--output", table.resolve("idx").resolve("deeper").toString(), "--input", glob));
        assertThrows(InvalidInputException.class, () -> Overlap.refuse(conf, "--output", table.toString(), "--queries", glob));
        // Names the glob passes by, and places beside it, are fine.
        assertDoesNotThrow(() -> Overlap.refuseWithin(conf, "--output", table.resolve("idx").toString(), "--input", table + "/part-*.parquet"));
        assertDoesNotThrow(() -> Overlap.refuseWithin(conf, "--output", tmp.resolve("idx").toString(), "--input", glob));
        assertDoesNotThrow(() -> Overlap.refuseWithin(conf, "--output", tmp.resolve("u").resolve("idx").toString(), "--input",
                tmp + "/t{1,2}/*"));
    }
}
