package io.hnswseg.reader;

import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.segment.MappedSegment;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/** Where an index lives: reads its manifest and yields a local, verified file per segment. */
interface IndexSource extends Closeable {

    /** The index's location as the user gave it, for messages. */
    String location();

    /** The manifest bytes; a missing manifest is an IOException naming where it was looked for. */
    byte[] manifest() throws IOException;

    /** A local file holding the segment, its size checked against the manifest (and for downloads, its CRC32C). */
    Path segment(IndexManifest.Segment segment) throws IOException;

    /**
     * The size of the file or object stored for {@code relativePath}, asked of the store without reading it (an S3
     * HEAD); a missing one is a {@link java.nio.file.NoSuchFileException} or an IOException naming it.
     */
    long storedBytes(String relativePath) throws IOException;

    /** The bytes of a small side file of the index (e.g. the centroids), whatever its checks; see {@link #sideFile}. */
    byte[] read(String relativePath) throws IOException;

    /** A side file's bytes, checked against the manifest's size and CRC32C. */
    default byte[] sideFile(IndexManifest.FileRef ref) throws IOException {
        byte[] bytes = read(ref.path());
        String name = location().replaceAll("/+$", "") + "/" + ref.path();
        if (bytes.length != ref.bytes()) {
            throw new IOException(name + ": " + bytes.length + " bytes, the manifest says " + ref.bytes());
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes);
        if (crc.getValue() != ref.crc32c()) {
            throw new IOException(name + ": CRC32C " + MappedSegment.hex(crc.getValue()) + " differs from the manifest's "
                    + MappedSegment.hex(ref.crc32c()) + ": the file is corrupt or does not belong to this index");
        }
        return bytes;
    }

    /**
     * Whether a failure of {@link #segment} may pass if the fetch is tried again later (a remote store's
     * outage or timeout), rather than being a property of the index (a missing or refused file).
     */
    default boolean mayPass(IOException failure) {
        return false;
    }

    /**
     * Whether {@link #segment} yields copies in the reader's cache (written once, renamed into place) rather than
     * the index's own files: a prune may remove a copy's name while readers have it mapped, which is no change
     * to its bytes ({@link io.hnswseg.segment.MappedSegment#openCachedCopy}).
     */
    default boolean cachesCopies() {
        return false;
    }

    /** Writes {@code content} as the file {@code name} of the index's directory, replacing one there: a reader's lease. */
    void writeBeside(String name, byte[] content) throws IOException;

    /** Deletes the file {@code name} of the index's directory, if it is there. */
    void deleteBeside(String name) throws IOException;

    /** Whether {@link #segment} already verified the file's CRC32C against the manifest. */
    boolean verifiesOnFetch();

    @Override
    default void close() {
    }
}
