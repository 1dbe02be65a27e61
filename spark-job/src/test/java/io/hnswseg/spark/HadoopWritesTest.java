package io.hnswseg.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FullDisk;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A full disk as Hadoop's local file system reports it, an Error, ended the build, search-job and vacuum in a bare trace (probe helper 50). */
class HadoopWritesTest {

    @TempDir
    java.nio.file.Path dir;

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aFullDiskIsAnIOExceptionNamingTheFileAndLeavesNoNewFile(boolean atClose) throws IOException {
        FileSystem fs = new FullDisk(FileSystem.getLocal(new Configuration()), atClose);
        Path file = new Path(dir.resolve("manifest.json.tmp").toUri());
        IOException e = assertThrows(IOException.class, () -> HadoopWrites.create(fs, file, false, out -> out.write(new byte[100])));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("No space left on device"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("manifest.json.tmp")), "a partial new file is removed");

        // A file being replaced is not removed (on S3 a failed PUT leaves the old object: the index's manifest).
        java.nio.file.Path old = Files.writeString(dir.resolve("manifest.json"), "old");
        assertThrows(IOException.class, () -> HadoopWrites.create(fs, new Path(old.toUri()), true, out -> out.write(1)));
        assertTrue(Files.exists(old));
    }

    @Test
    void theStoreClockOnAFullDiskIsThisMachinesAndLeavesNoProbe() throws IOException {
        FileSystem fs = new FullDisk(FileSystem.getLocal(new Configuration()), true);
        assertEquals(0, StoreClock.of(fs, new Path(dir.toUri())).offsetMillis());
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "no write probe is left behind");
        }
    }
}
