package io.hnswseg.spark;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;

/**
 * Writes a file through Hadoop's FileSystem with its failures as IOExceptions naming the file. Hadoop's local file
 * system reports a failed write (a full disk, a file size limit) as {@link FSError}, an Error that passes every
 * catch of IOException: the build's commit, search-job's {@code _SUCCESS} and vacuum's clock probe then ended in a
 * bare stack trace, skipping their clean-up and their messages (probe helper 50).
 */
final class HadoopWrites {

    private HadoopWrites() {
    }

    /** Stores whose own checks cover a write end to end: the local disk, and HDFS (its client and datanodes checksum every block). */
    private static final java.util.Set<String> CHECKED_BY_THE_STORE = java.util.Set.of("file", "hdfs");

    /**
     * Whether what {@code fs} stores needs reading back to be sure it is what was sent: on an object store it does, since
     * one that kept other bytes (or a plain-HTTP path that altered them) answered 200 all the same (probe helper 94).
     */
    static boolean needsReadBack(FileSystem fs) {
        return !CHECKED_BY_THE_STORE.contains(fs.getUri().getScheme());
    }

    /** What is written into the created file. */
    interface Content {
        void writeTo(FSDataOutputStream out) throws IOException;
    }

    /**
     * Creates {@code file} ({@code overwrite} as {@link FileSystem#create(Path, boolean)} takes it) and writes
     * {@code content}. When the write fails, a file this call created new is removed (best effort), so no partial
     * file is left to pass for a whole one; a file it replaces is never removed (an S3 PUT that failed left the old
     * object, which is the index's manifest), nor one a store says exists at close (another writer's). Failures are
     * IOExceptions naming the file; the ones raised creating it keep their types.
     */
    static void create(FileSystem fs, Path file, boolean overwrite, Content content) throws IOException {
        FSDataOutputStream out;
        try {
            out = fs.create(file, overwrite);
        } catch (FSError e) {
            throw named(file, e);
        }
        try (out) {
            content.writeTo(out);
        } catch (IOException | RuntimeException | Error e) {
            // Any failure, since a killed task's kill arrives as neither IOException nor FSError (probe helper 86: zero-byte
            // segments were left by a cancelled job). Some stores check a create without overwrite only at close (GCS, S3A's conditional create): a failure that
            // says the file exists is about another writer's file, which stays.
            if (!overwrite && Causes.first(e, t -> t instanceof org.apache.hadoop.fs.FileAlreadyExistsException
                    || t instanceof org.apache.hadoop.fs.PathExistsException
                    || t.getClass().getSimpleName().equals("RemoteFileChangedException")) == null) {
                try {
                    fs.delete(file, false);
                } catch (IOException | RuntimeException | FSError ignored) {
                    // The write's failure is the news; a file left here is refused by size or checksum, or vacuumed.
                }
            }
            if (e instanceof IOException || e instanceof FSError) {
                throw named(file, e);
            }
            throw e;
        }
    }

    /** The failure as an IOException naming the file ({@link Causes#retold}). */
    private static IOException named(Path file, Throwable e) {
        Throwable cause = e instanceof FSError && e.getCause() != null ? e.getCause() : e;
        String message = String.valueOf(cause.getMessage());
        if (cause instanceof IOException io && message.contains(file.toString())) {
            return io;
        }
        return Causes.retold(new IOException(message.contains(file.toString()) ? message : file + ": " + message), e);
    }
}
