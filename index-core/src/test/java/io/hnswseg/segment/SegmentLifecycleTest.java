package io.hnswseg.segment;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A segment file changed under an open segment, and closing a segment while searches run. */
class SegmentLifecycleTest {

    private static final long EVERY_SEARCH = 0;
    private static final long NEVER = Long.MAX_VALUE;
    private static final Path MAPS = Path.of("/proc/self/maps");

    private static FloatMatrix[] data;
    private static byte[] bytes;
    private static SearchResults[] expected;

    @TempDir
    Path dir;

    @BeforeAll
    static void build() {
        data = Fixtures.clustered(3_000, 50, 32, 12);
        HnswGraph graph = Fixtures.build(data[0], new HnswParams(8, 40, 3, Metric.L2), 1);
        bytes = TestSegments.write(graph);
        expected = new SearchResults[data[1].rows()];
        for (int q = 0; q < expected.length; q++) {
            expected[q] = graph.search(data[1].row(q), 10, 40);
        }
    }

    private Path file() throws IOException {
        Path p = dir.resolve("part-0.hseg");
        Files.write(p, bytes);
        return p;
    }

    private static void searchAll(MappedSegment segment) {
        for (int q = 0; q < expected.length; q++) {
            Fixtures.assertSameResults(expected[q], segment.search(data[1].row(q), 10, 40), "query " + q);
        }
    }

    /** The next search fails naming the file and {@code problem}, and so does every later one. */
    private static void failsFromNowOn(MappedSegment segment, Path p, String problem) {
        for (int i = 0; i < 3; i++) {
            CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> searchAll(segment));
            assertEquals(p.toString(), e.file());
            assertTrue(e.getMessage().contains(problem), e.getMessage());
        }
    }

    /** Skips a test on a file system without POSIX permissions to change or a status change time to compare. */
    private static void assumePosixTimes(Path p) {
        assumeTrue(p.getFileSystem().supportedFileAttributeViews().containsAll(List.of("posix", "unix")),
                "the file system has no POSIX permissions or no status change time (unix:ctime)");
    }

    /** Skips the rest of a test on a file system whose status change time did not move (it ticks in seconds there). */
    private static void assumeCtimeMoved(Path p, Object before) throws IOException {
        assumeTrue(!before.equals(Files.getAttribute(p, "unix:ctime")), "the file system's ctime did not tick: " + before);
    }

    /** File times tick coarsely (a few ms on ext4): wait so that a rewrite gets a later time than the open saw. */
    private static void letTheClockTick() throws InterruptedException {
        Thread.sleep(30);
    }

    @Test
    void rewriteWithOtherBytesOfTheSameLengthIsDetected() throws Exception {
        Path p = file();
        try (MappedSegment segment = MappedSegment.open(p, true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, EVERY_SEARCH)) {
            searchAll(segment);
            letTheClockTick();
            byte[] other = bytes.clone();
            for (int i = 0; i < other.length; i += 7) {
                other[i] ^= 0x5A;
            }
            Files.write(p, other);
            failsFromNowOn(segment, p, "changed on disk after it was opened");
        }
    }

    @Test
    void aWriteInPlaceWithItsModificationTimeSetBackIsDetected() throws Exception {
        Path p = file();
        assumePosixTimes(p);
        try (MappedSegment segment = MappedSegment.open(p, true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, EVERY_SEARCH)) {
            searchAll(segment);
            java.nio.file.attribute.FileTime modified = Files.getLastModifiedTime(p);
            letTheClockTick();
            // A touch, permissions and a second name move the file's times alone: the contents are checked and kept.
            Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(modified.toMillis() + 5_000));
            searchAll(segment);
            Files.setLastModifiedTime(p, modified);
            letTheClockTick();
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("r--r-----"));
            searchAll(segment);
            letTheClockTick();
            Files.createLink(dir.resolve("backup.hseg"), p);
            searchAll(segment);
            // Other bytes of the same length written over it in place, its modification time then set back.
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
            searchAll(segment);
            Object beforeWrite = Files.getAttribute(p, "unix:ctime");
            byte[] sameLength = bytes.clone();
            for (int i = 200; i < sameLength.length - 8; i += 11) {
                sameLength[i] ^= 0x21;
            }
            letTheClockTick();
            try (FileChannel channel = FileChannel.open(p, StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(sameLength));
            }
            Files.setLastModifiedTime(p, modified);
            assertEquals(bytes.length, Files.size(p));
            assumeCtimeMoved(p, beforeWrite);
            failsFromNowOn(segment, p, "changed on disk after it was opened (in place: the CRC32C of its contents is now 0x");
        }
    }

    @Test
    void aFileCorruptBeforeAnUnverifiedOpenIsNotBlamedOnALaterChange() throws Exception {
        Path p = file();
        assumePosixTimes(p);
        byte[] damaged = bytes.clone();
        damaged[damaged.length - 20] ^= 0x10; // the last code error's bytes: read by no search here
        Files.write(p, damaged);
        try (MappedSegment segment = MappedSegment.open(p, false, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, EVERY_SEARCH)) {
            Object openedAt = Files.getAttribute(p, "unix:ctime");
            letTheClockTick();
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("r--r-----"));
            assumeCtimeMoved(p, openedAt);
            failsFromNowOn(segment, p, "or corrupt since before (its CRC32C was not checked when it was mapped)");
        }
    }

    @Test
    void replacementByRenameIsDetected() throws Exception {
        Path p = file();
        try (MappedSegment segment = MappedSegment.open(p, true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, EVERY_SEARCH)) {
            searchAll(segment);
            // A sync tool renames a fresh copy of the same bytes over it: the segment goes on.
            Path copy = dir.resolve("copy.hseg");
            Files.write(copy, bytes);
            Files.move(copy, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            searchAll(segment);
            searchAll(segment);
            // The mapping still reads the first file: the copy written over in place is a change too.
            letTheClockTick();
            Files.write(p, otherBytesOfTheSameLength());
            failsFromNowOn(segment, p, "changed on disk after it was opened (replaced by another file of the same name and size:"
                    + " the CRC32C of its contents is 0x");
            Files.delete(p);
        }
        // The same contents under another footer CRC: not a copy of this segment (the file is corrupt).
        try (MappedSegment segment = MappedSegment.open(file(), true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, EVERY_SEARCH)) {
            byte[] otherFooter = bytes.clone();
            otherFooter[bytes.length - 8] ^= 0x01;
            Path other = dir.resolve("other.hseg");
            Files.write(other, otherFooter);
            Files.move(other, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            failsFromNowOn(segment, p, "replaced by another file of the same name and size");
            Files.delete(p);
        }
        // Other bytes of the same length, renamed over it: the mapping keeps the old bytes, but the file is no
        // longer this segment.
        try (MappedSegment segment = MappedSegment.open(file(), true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, EVERY_SEARCH)) {
            Path other = dir.resolve("other.hseg");
            Files.write(other, otherBytesOfTheSameLength());
            Files.move(other, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            failsFromNowOn(segment, p, "changed on disk after it was opened (replaced by another file of the same name and size:"
                    + " the CRC32C of its contents is 0x");
            Files.delete(p);
        }
        // A shorter file renamed over it is a replacement too, not a truncation.
        try (MappedSegment segment = MappedSegment.open(file(), true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, EVERY_SEARCH)) {
            Path shorter = dir.resolve("shorter.hseg");
            Files.write(shorter, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            Files.move(shorter, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            failsFromNowOn(segment, p, "replaced by another file of the same name, " + bytes.length + " bytes then, "
                    + bytes.length / 2 + " now");
            Files.delete(p);
        }
        try (MappedSegment segment = MappedSegment.open(file(), true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, EVERY_SEARCH)) {
            Files.delete(p);
            failsFromNowOn(segment, p, "deleted or moved away on disk after it was opened");
        }
    }

    /**
     * A cache's copy whose name a prune removed answers on from its mapping (no path reaches the file, so nothing can
     * change it), also after another copy lands under the name; one with a second name is still refused, since its
     * bytes could change through that name unseen.
     */
    @Test
    void aCachedCopyWhoseNameIsRemovedAnswersOnUnlessItHasAnotherName() throws Exception {
        Path p = file();
        assumePosixTimes(p);
        try (MappedSegment segment = MappedSegment.open(p, false, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP,
                EVERY_SEARCH, true)) {
            searchAll(segment);
            Files.delete(p);
            searchAll(segment);
            byte[] other = bytes.clone();
            other[other.length / 2] ^= 0x40;
            Files.write(p, other);
            searchAll(segment);
            Files.delete(p);
        }
        p = file();
        try (MappedSegment segment = MappedSegment.open(p, true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP,
                EVERY_SEARCH, true)) {
            Object openedAt = Files.getAttribute(p, "unix:ctime");
            letTheClockTick();
            Files.createLink(dir.resolve("backup.hseg"), p);
            assumeCtimeMoved(p, openedAt);
            searchAll(segment);
            Files.delete(p);
            failsFromNowOn(segment, p, "deleted or moved away on disk after it was opened");
        }
    }

    @Test
    void aCopyRenamedOverASegmentWithAnotherNameIsNotTrusted() throws Exception {
        Path p = file();
        assumePosixTimes(p);
        try (MappedSegment segment = MappedSegment.open(p, true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, EVERY_SEARCH)) {
            Object openedAt = Files.getAttribute(p, "unix:ctime");
            letTheClockTick();
            // A second name (a backup's hard link): the search that sees it counts the mapped file's names.
            Files.createLink(dir.resolve("backup.hseg"), p);
            assumeCtimeMoved(p, openedAt);
            searchAll(segment);
            // A copy renamed over the first name: the mapped file stays reachable, and writable, as backup.hseg,
            // where its changes would not show; so the copy is not taken for it.
            Path copy = dir.resolve("copy.hseg");
            Files.write(copy, bytes);
            Files.move(copy, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            failsFromNowOn(segment, p, "while the mapped file has 2 names");
        }
    }

    /** The segment with one bit of its middle byte flipped. */
    private static byte[] otherBytesOfTheSameLength() {
        byte[] other = bytes.clone();
        other[bytes.length / 2] ^= 0x01;
        return other;
    }

    @Test
    void truncationIsDetectedBeforeTheMappingIsRead() throws Exception {
        Path p = file();
        try (MappedSegment segment = MappedSegment.open(p, true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, EVERY_SEARCH)) {
            searchAll(segment);
            truncate(p, 4096);
            failsFromNowOn(segment, p, "truncated");
        }
    }

    @Test
    void faultingReadOfATruncatedFileIsReportedAndTheJvmStaysUp() throws Exception {
        Path p = file();
        // No stat at all: the search reads pages past the new end of the file and the JVM reports the SIGBUS
        // as an InternalError, which must come out as a CorruptSegmentException. Searches first run long
        // enough for the JIT to compile the read path, whose faults are the ones that can go wrong.
        try (MappedSegment segment = MappedSegment.open(p, true, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, NEVER)) {
            for (int round = 0; round < 60; round++) {
                searchAll(segment);
            }
            truncate(p, 4096);
            CorruptSegmentException e = assertThrows(CorruptSegmentException.class, () -> searchAll(segment));
            assertEquals(p.toString(), e.file());
            assertTrue(e.getMessage().contains("changed on disk after it was opened") && e.getMessage().contains("truncated"),
                    e.getMessage());
            assertTrue(e.getCause() instanceof InternalError, "cause " + e.getCause());
            failsFromNowOn(segment, p, "truncated");
        }
        // Still here: the process survived the fault, and other segments keep working.
        try (MappedSegment fresh = MappedSegment.open(file())) {
            searchAll(fresh);
        }
    }

    @Test
    void checksumOfAFileThatShrankIsAnErrorNotACrash() throws Exception {
        Path p = file();
        MappedFile mapped;
        try (FileChannel channel = FileChannel.open(p, StandardOpenOption.READ)) {
            mapped = new MappedFile(channel, channel.size(), MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP);
        }
        long end = mapped.size() - SegmentLayout.FOOTER_BYTES;
        long crc = mapped.crc32c(end);
        truncate(p, 4096);
        // What a verified open does while the file is cut short under it: the checksum pass faults. CRC32C
        // run on the mapping itself would kill the JVM here; the copy it now reads through raises.
        InternalError fault = assertThrows(InternalError.class, () -> {
            for (int i = 0; i < 3; i++) {
                assertEquals(crc, mapped.crc32c(end));
                new byte[expected.length][0].hashCode(); // a return from the VM, where a pending fault is raised
            }
        });
        assertTrue(fault.getMessage().contains("unsafe memory access"), fault.getMessage());
        mapped.unmap();
    }

    private static void truncate(Path p, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(p, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    @Test
    void searchAfterCloseIsAnIllegalStateNamingTheSegment() throws Exception {
        Path p = file();
        MappedSegment segment = MappedSegment.open(p);
        segment.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> segment.search(data[1].row(0), 10, 40));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("closed"), e.getMessage());
        segment.close();
        assertEquals(3_000, segment.size());
    }

    @Test
    void closeUnmapsTheFile() throws Exception {
        assumeTrue(Files.isReadable(MAPS), "needs /proc/self/maps");
        Path p = file();
        MappedSegment segment = MappedSegment.open(p);
        assertTrue(mapped(p), "mapped while open");
        segment.close();
        assertTrue(!mapped(p), "unmapped by close");
        // A file that fails its checks on open is unmapped at once too.
        Files.write(p, java.util.Arrays.copyOf(bytes, bytes.length - 64));
        assertThrows(CorruptSegmentException.class, () -> MappedSegment.open(p, false));
        assertTrue(!mapped(p), "unmapped after a failed open");
    }

    @Test
    void closeLetsSearchesInFlightFinishThenUnmaps() throws Exception {
        Path p = file();
        MappedSegment segment = MappedSegment.open(p);
        AtomicReference<Throwable> wrong = new AtomicReference<>();
        AtomicInteger answered = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            Thread thread = new Thread(() -> {
                try {
                    for (int q = 0; ; q = (q + 1) % expected.length) {
                        Fixtures.assertSameResults(expected[q], segment.search(data[1].row(q), 10, 40), "query " + q);
                        answered.incrementAndGet();
                    }
                } catch (IllegalStateException closed) {
                    // The way every thread ends: its next search after close.
                } catch (Throwable e) {
                    wrong.set(e);
                }
            });
            thread.start();
            threads.add(thread);
        }
        while (answered.get() < 300) {
            Thread.sleep(1);
        }
        segment.close();
        for (Thread thread : threads) {
            thread.join(10_000);
            assertTrue(!thread.isAlive(), "search thread ended");
        }
        assertNull(wrong.get(), () -> "a search racing close went wrong: " + wrong.get());
        if (Files.isReadable(MAPS)) {
            assertTrue(!mapped(p), "unmapped once the last search finished");
        }
    }

    private static boolean mapped(Path p) throws IOException {
        String target = p.toRealPath().toString();
        return Files.readAllLines(MAPS).stream().anyMatch(line -> line.endsWith(target));
    }
}
