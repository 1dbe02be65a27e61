package io.hnswseg.spark;

import io.hnswseg.manifest.Leases;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FullDisk;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A full disk as Hadoop's local file system reports it, an Error, ended the build, search-job and vacuum in a bare trace (probe helper 50). */
class HadoopWritesTest {

    @TempDir
    java.nio.file.Path dir;

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aFullDiskIsAnIOExceptionNamingTheFileAndLeavesNoNewFile(boolean atClose) throws IOException {
        FileSystem fs = new FullDisk(FileSystem.getLocal(new Configuration()), atClose);
        Path file = new Path(dir.resolve("manifest.json.tmp").toUri());
        IOException e = assertThrows(IOException.class, () -> HadoopWrites.create(fs, file, false, out -> out.write(new byte[100])));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("No space left on device"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("manifest.json.tmp")), "a partial new file is removed");

        // A file being replaced is not removed (on S3 a failed PUT leaves the old object: the index's manifest).
        java.nio.file.Path old = Files.writeString(dir.resolve("manifest.json"), "old");
        assertThrows(IOException.class, () -> HadoopWrites.create(fs, new Path(old.toUri()), true, out -> out.write(1)));
        assertTrue(Files.exists(old));
    }

    @Test
    void theStoreClockOnAFullLocalDiskIsThisMachinesAndLeavesNoProbe() throws IOException {
        FileSystem fs = new FullDisk(FileSystem.getLocal(new Configuration()), true);
        StoreClock clock = StoreClock.of(fs, new Path(dir.toUri()));
        assertEquals(0, clock.offsetMillis());
        assertTrue(clock.measured(), "a local disk's files carry this machine's time");
        assertFalse(StoreClock.of(remote(fs), new Path(dir.toUri())).measured(), "a remote store's clock is unknown");
        // A file: mount whose server stamps the files (probe-less, it was trusted as this machine's clock).
        for (String mount : new String[]{"nfs", "nfs4", "cifs", "smb3", "fuse.sshfs", "9p", "ceph", "glusterfs"}) {
            assertFalse(StoreClock.isLocalType(mount), mount);
        }
        for (String disk : new String[]{"ext4", "xfs", "overlay", "tmpfs", "btrfs", "apfs"}) {
            assertTrue(StoreClock.isLocalType(disk), disk);
        }
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "no write probe is left behind");
        }
    }

    /**
     * Without the store's clock no lease is judged lapsed (review helper 112: a probe refused, a quota say, and a running
     * search-job's staging went): vacuum keeps a lapsed-looking lease's files, a search-job the stagings beside its output.
     */
    @Test
    void withoutTheStoresClockEveryLeaseIsLive() throws IOException {
        FileSystem fs = remote(new FullDisk(FileSystem.getLocal(new Configuration()), true));
        long lapsed = System.currentTimeMillis() - Leases.LAPSES_AFTER.toMillis() - 60_000;
        java.nio.file.Path segment = Files.createDirectories(dir.resolve("segments")).resolve("run00004-part-00000-task-1.hseg");
        Files.write(segment, new byte[100]);
        Files.write(dir.resolve(BuildLease.PREFIX + "run00004"), new byte[0]);
        Files.setLastModifiedTime(dir.resolve(BuildLease.PREFIX + "run00004"), java.nio.file.attribute.FileTime.fromMillis(lapsed));
        Vacuum.Result result = Vacuum.run(fs, new Path(dir.toUri()), java.time.Duration.ZERO, null, false);
        assertTrue(!result.clockRead() && result.running().contains("run00004") && result.removed().isEmpty(), result.toString());
        assertTrue(Files.exists(segment));

        java.nio.file.Path output = dir.resolve("out");
        java.nio.file.Path staging = SearchIndexJobTest.stagingWith(output, "0000dead", lapsed, "_attempts/part-00000.parquet");
        SearchIndexJobTest.leaseOf(output, "0000dead", lapsed);
        new SearchOutput(output.toString(), new Path(output.toUri()), fs, false).removeLapsedStagings();
        assertTrue(Files.exists(staging.resolve("_attempts/part-00000.parquet")), "a staging judged without the store's clock is left");
    }

    /** {@code fs} as a store that is not this machine's disk (a quota or throttling refusing every write, say). */
    private static FileSystem remote(FileSystem fs) {
        return new org.apache.hadoop.fs.FilterFileSystem(fs) {
            @Override
            public java.net.URI getUri() {
                return java.net.URI.create("remote://store/");
            }
        };
    }
}
