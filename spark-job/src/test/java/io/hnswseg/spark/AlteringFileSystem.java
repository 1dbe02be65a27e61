package io.hnswseg.spark;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The local disk under the scheme {@code altering:}, standing for an object store that keeps other bytes than it was
 * sent and says nothing (probe helper 94 put a proxy that flipped a byte of a segment's PUT between S3A and the store):
 * the first {@link #ALTERED} files it writes whose names end with {@link #suffix} (segments unless told) have their 1,000th byte flipped, or their last ({@link #lastByte}).
 */
public class AlteringFileSystem extends RawLocalFileSystem {

    static final int ALTERED = 1;
    static final AtomicInteger altered = new AtomicInteger();
    /** The ending of the names of the files it alters. */
    static volatile String suffix = ".hseg";
    /** Flip the file's last byte (in its footer) instead of its 1,000th. */
    static volatile boolean lastByte;

    @Override
    public String getScheme() {
        return "altering";
    }

    @Override
    public URI getUri() {
        return URI.create("altering:///");
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize, short replication,
                                     long blockSize, Progressable progress) throws IOException {
        return altered(f, super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress));
    }

    @Override
    public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize, Progressable progress)
            throws IOException {
        return altered(f, super.create(f, overwrite, bufferSize, replication, blockSize, progress));
    }

    private static FSDataOutputStream altered(Path f, FSDataOutputStream out) throws IOException {
        if (!f.getName().endsWith(suffix) || altered.incrementAndGet() > ALTERED) {
            return out;
        }
        return new FSDataOutputStream(new FilterOutputStream(out) {
            private long written;
            /** Held back one byte, so that the last one (in the footer) can be flipped at close. */
            private int pending = -1;

            @Override
            public void write(int b) throws IOException {
                if (pending >= 0) {
                    out.write(pending);
                }
                pending = (!lastByte && written++ == 999 ? b ^ 1 : b) & 0xff;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                for (int i = 0; i < len; i++) {
                    write(b[off + i]);
                }
            }

            @Override
            public void close() throws IOException {
                if (pending >= 0) {
                    out.write(lastByte ? pending ^ 1 : pending);
                    pending = -1;
                }
                super.close();
            }
        }, null);
    }

    /** The same for Hadoop's FileContext (the rename that commits a manifest goes through it). */
    public static class Fs extends org.apache.hadoop.fs.DelegateToFileSystem {
        public Fs(URI uri, org.apache.hadoop.conf.Configuration conf) throws IOException, java.net.URISyntaxException {
            super(uri, new AlteringFileSystem(), conf, "altering", false);
        }
    }
}
