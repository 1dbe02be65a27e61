package io.hnswseg.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.time.Duration;

/** The local file system as a store whose clock runs {@code behind} this machine's: every file's time is that much earlier. */
final class SkewedStore extends FilterFileSystem {

    private final long behindMillis;

    SkewedStore(Duration behind) throws IOException {
        super(FileSystem.getLocal(new Configuration()));
        this.behindMillis = behind.toMillis();
    }

    private FileStatus skewed(FileStatus f) {
        return new FileStatus(f.getLen(), f.isDirectory(), f.getReplication(), f.getBlockSize(), f.getModificationTime() - behindMillis,
                f.getPath());
    }

    @Override
    public FileStatus getFileStatus(Path p) throws IOException {
        return skewed(super.getFileStatus(p));
    }

    @Override
    public FileStatus[] listStatus(Path p) throws IOException {
        FileStatus[] all = super.listStatus(p);
        for (int i = 0; i < all.length; i++) {
            all[i] = skewed(all[i]);
        }
        return all;
    }
}
