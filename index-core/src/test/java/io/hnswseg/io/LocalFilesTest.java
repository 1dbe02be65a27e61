package io.hnswseg.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalFilesTest {

    @TempDir
    Path tmp;

    @Test
    void errorsAreDescribedInWordsThroughWrappersThatSayNothing() {
        NoSuchFileException missing = new NoSuchFileException("/idx/segments/a.hseg");
        assertEquals("no such file or directory: /idx/segments/a.hseg", LocalFiles.describe(missing));
        // A thread pool's hand-off wraps with the cause's toString as the message: its class name was printed.
        assertEquals("no such file or directory: /idx/segments/a.hseg", LocalFiles.describe(new RuntimeException(missing)));
        assertEquals("/idx/manifest.json: no manifest", LocalFiles.describe(new NoSuchFileException("/idx/manifest.json", null, "no manifest")));
        String unnamed = LocalFiles.describe(new java.nio.file.InvalidPathException("/idx/\u00e9", "Malformed input or input contains unmappable characters"));
        assertTrue(unnamed.startsWith("path /idx/\u00e9 cannot be named in this JVM's file name encoding") && unnamed.contains("LC_ALL=C.UTF-8"), unnamed);
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

    /** A write ended by SIGTERM (or Ctrl-C) before it finished leaves the target as it was and no temporary file beside it. */
    @Test
    void aWholeWriteEndedByASignalLeavesNoTemporaryFile() throws Exception {
        Path out = tmp.resolve("results.ivecs");
        Files.writeString(out, "earlier");
        Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), EndlessWrite.class.getName(), out.toString()).redirectErrorStream(true).start();
        try {
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(writer.getInputStream())).readLine();
            assertEquals("writing", line, "the writer started");
            try (var files = Files.list(tmp)) {
                assertEquals(2, files.count(), "the target and the writer's temporary file");
            }
            writer.destroy();
            assertTrue(writer.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            writer.destroyForcibly();
        }
        assertEquals("earlier", Files.readString(out));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(out), files.toList(), "only the target");
        }
    }

    /** Writes to the file named by its argument and never finishes. */
    public static final class EndlessWrite {
        public static void main(String[] args) throws IOException {
            LocalFiles.writeWhole(Path.of(args[0]), stream -> {
                stream.write(new byte[4096]);
                stream.flush();
                System.out.println("writing");
                System.out.flush();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            });
        }
    }
}
