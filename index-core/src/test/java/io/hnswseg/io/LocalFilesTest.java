package io.hnswseg.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LocalFilesTest {

    @TempDir
    Path tmp;

    @Test
    void errorsAreDescribedInWordsThroughWrappersThatSayNothing() {
        NoSuchFileException missing = new NoSuchFileException("/idx/segments/a.hseg");
        assertEquals("no such file or directory: /idx/segments/a.hseg", LocalFiles.describe(missing));
        // A thread pool's hand-off wraps with the cause's toString as the message: its class name was printed.
        assertEquals("no such file or directory: /idx/segments/a.hseg", LocalFiles.describe(new RuntimeException(missing)));
        IllegalStateException corrupt = new IllegalStateException("segment a.hseg: deleted or moved away on disk after it was opened");
        assertEquals(corrupt.getMessage(), LocalFiles.describe(new RuntimeException(new RuntimeException(corrupt))));
        // A wrapper with words of its own keeps them.
        assertEquals("reading the queries", LocalFiles.describe(new UncheckedIOException("reading the queries", new IOException("x"))));
    }

    @Test
    void aWholeWriteThatFailsLeavesTheTargetAndNoTemporaryFile() throws IOException {
        Path out = tmp.resolve("results.ivecs");
        Files.writeString(out, "earlier");
        assertThrows(IOException.class, () -> LocalFiles.writeWhole(out, stream -> {
            stream.write(new byte[100]);
            throw new IOException("disk full");
        }));
        assertEquals("earlier", Files.readString(out));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "only the target");
        }
    }
}
