package io.hnswseg.reader;

import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.segment.CorruptSegmentException;
import io.hnswseg.segment.MappedSegment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Local copies of remote segments. A cached file is used only when its size and CRC32C match the
 * manifest; otherwise it is fetched again. A download goes to a temporary file in the same directory,
 * is verified, and only then renamed over the target in one atomic step, so a reader (in this process
 * or another one opening the same index) never sees a partial or unverified file under the real name.
 */
final class SegmentCache {

    /** Fetches one object into a file; throws {@link Fatal} for errors that retrying cannot fix. */
    interface Downloader {
        void download(Path into) throws IOException;
    }

    /**
     * A fetch error that a later search cannot fix: a missing object or denied access (not retried), or a copy
     * that arrived whole and is not the manifest's (retried first, in case it changed in transit).
     */
    static final class Fatal extends IOException {
        Fatal(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A download that failed writing its copy on this machine (a full disk, a denied directory): not the store's
     * failure, so not retried, and no outage that passes (review helper 33: a following server with a full cache
     * disk downloaded the whole new index again every 30 s).
     */
    static final class Local extends IOException {
        Local(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A download that failed on every attempt in the transfer itself (the store's errors, timeouts): it may pass later. */
    static final class Unavailable extends IOException {
        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static final int ATTEMPTS = 4;
    static final long FIRST_BACKOFF_MILLIS = 200;

    private final Path dir;

    SegmentCache(Path dir) {
        this.dir = dir;
    }

    /** Where a cache kept in {@code dir} holds its copy of {@code segment}. */
    static Path copyOf(Path dir, IndexManifest.Segment segment) {
        return dir.resolve(segment.path()).normalize();
    }

    Path fetch(IndexManifest.Segment segment, String name, Downloader downloader) throws IOException {
        Path target = copyOf(dir, segment);
        Files.createDirectories(target.getParent());
        if (Files.isRegularFile(target) && problem(target, segment) == null) {
            return target;
        }
        // A download that arrived whole and is not the manifest's says something about the object, which a
        // later search cannot change (Fatal); transfers that failed every time may pass (Unavailable). Errors of
        // this machine (checking or moving the copy) are neither, and leave at once.
        String badCopy = null;
        IOException transfer = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            String where = " (download attempt " + attempt + " of " + ATTEMPTS + ")";
            // Not LocalFiles.createTemporary: its shutdown hook would delete the file under a download that a server's
            // drain lets finish (review helper 33); a .part left by a killed JVM is only ever a stray in the cache.
            Path partial = Files.createTempFile(target.getParent(), target.getFileName().toString() + ".", ".part");
            try {
                boolean arrived = false;
                try {
                    downloader.download(partial);
                    arrived = true;
                } catch (Fatal | Local e) {
                    throw e;
                } catch (IOException e) {
                    transfer = new Unavailable(name + ": download attempt " + attempt + " of " + ATTEMPTS + " failed: " + e.getMessage(), e);
                }
                if (arrived) {
                    String problem = problem(partial, segment);
                    if (problem == null) {
                        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        return target;
                    }
                    if (Files.size(partial) < segment.bytes()) {
                        transfer = new Unavailable(name + ": " + problem + where, null);
                    } else {
                        badCopy = name + ": " + problem + where;
                    }
                }
            } finally {
                Files.deleteIfExists(partial);
            }
            if (attempt < ATTEMPTS) {
                sleep(FIRST_BACKOFF_MILLIS << (attempt - 1));
            }
        }
        if (badCopy != null) {
            throw new Fatal(badCopy, null);
        }
        throw transfer;
    }

    /** Why {@code file} is not a valid copy of {@code segment}, or null when it is. */
    static String problem(Path file, IndexManifest.Segment segment) throws IOException {
        long size = Files.size(file);
        if (size != segment.bytes()) {
            return "has " + size + " bytes, the manifest says " + segment.bytes() + (size < segment.bytes() ? " (truncated)" : "");
        }
        try (MappedSegment mapped = MappedSegment.open(file, true)) {
            if (mapped.storedChecksum() != segment.crc32c()) {
                return "CRC32C " + MappedSegment.hex(mapped.storedChecksum()) + " differs from the manifest's "
                        + MappedSegment.hex(segment.crc32c());
            }
        } catch (CorruptSegmentException e) {
            return "checksum mismatch or corrupt copy: " + e.getMessage();
        }
        return null;
    }

    static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to retry a read from the store", e);
        }
    }
}
