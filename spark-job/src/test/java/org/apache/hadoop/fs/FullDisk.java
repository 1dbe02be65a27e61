package org.apache.hadoop.fs;

import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A local file system whose writes fail as Hadoop's local file system fails them on a full disk: with an
 * {@link FSError} (an Error, its constructor package-private, hence this package) around "No space left on device".
 */
public final class FullDisk extends FilterFileSystem {

    private final boolean atClose;

    /** Writes fail at once, or ({@code atClose}) only when the stream is closed, as a buffered local write mostly does. */
    public FullDisk(FileSystem local, boolean atClose) {
        super(local);
        this.atClose = atClose;
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize, short replication,
                                     long blockSize, Progressable progress) throws IOException {
        FSDataOutputStream created = super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
        return new FSDataOutputStream(new OutputStream() {
            @Override
            public void write(int b) {
                if (!atClose) {
                    throw new FSError(new IOException("No space left on device"));
                }
            }

            @Override
            public void close() throws IOException {
                created.close();
                if (atClose) {
                    throw new FSError(new IOException("No space left on device"));
                }
            }
        }, null);
    }
}
