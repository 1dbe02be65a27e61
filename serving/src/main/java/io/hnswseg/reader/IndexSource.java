package io.hnswseg.reader;

import io.hnswseg.manifest.IndexManifest;

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

    /** Whether {@link #segment} already verified the file's CRC32C against the manifest. */
    boolean verifiesOnFetch();

    @Override
    default void close() {
    }
}
