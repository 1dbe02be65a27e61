package io.hnswseg.spark;

import io.hnswseg.manifest.IndexManifest;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The driver's side of the output: the manifest is the commit. Segments are written under names unique to
 * each task attempt; the manifest, written last in one atomic step, lists the winning attempt of every
 * partition; files of other attempts and of a replaced index are deleted only after it. No directory is
 * ever renamed, so this holds on object stores where rename is a copy.
 */
final class IndexCommit {

    /** Object stores: a single PUT is atomic, a rename is not. */
    private static final Set<String> OBJECT_STORES = Set.of("s3", "s3a", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs", "oss", "cos");

    private final Configuration hadoop;
    private final FileSystem fs;
    private final Path root;
    private final Path manifestPath;

    IndexCommit(String output, Configuration hadoop) throws IOException {
        this.hadoop = hadoop;
        this.fs = fileSystem(output, hadoop);
        this.root = fs.makeQualified(new Path(output));
        this.manifestPath = new Path(root, IndexManifest.FILE_NAME);
    }

    /**
     * The file system of an output URI. Hadoop's local file system would write a {@code .crc} sidecar
     * next to every file; segments and manifest carry their own checks, so those are switched off.
     */
    static FileSystem fileSystem(String output, Configuration hadoop) throws IOException {
        FileSystem fs = FileSystem.get(URI.create(output), hadoop);
        fs.setWriteChecksum(false);
        // Also ignore sidecars left by an earlier writer that had them on: a stale .crc next to a
        // replaced manifest would otherwise fail every read of it.
        fs.setVerifyChecksum(false);
        return fs;
    }

    /** The index already at the output, or null. An existing but unreadable manifest still counts as an index. */
    IndexManifest existing(boolean overwrite) throws IOException {
        if (!fs.exists(manifestPath)) {
            return null;
        }
        if (!overwrite) {
            throw new InvalidInputException("output " + root + " already holds an index (" + IndexManifest.FILE_NAME
                    + "): pass --overwrite to replace it, or choose another --output");
        }
        try (FSDataInputStream in = fs.open(manifestPath)) {
            return IndexManifest.read(in, manifestPath.toString());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Writes the manifest in one atomic step: a PUT on object stores, write-then-rename elsewhere. */
    void commit(IndexManifest manifest, String runId) throws IOException {
        String scheme = root.toUri().getScheme() == null ? "file" : root.toUri().getScheme().toLowerCase(Locale.ROOT);
        if (OBJECT_STORES.contains(scheme)) {
            try (FSDataOutputStream out = fs.create(manifestPath, true)) {
                manifest.writeTo(out);
            }
            return;
        }
        Path staged = new Path(root, IndexManifest.FILE_NAME + "." + runId + ".tmp");
        try (FSDataOutputStream out = fs.create(staged, true)) {
            manifest.writeTo(out);
        }
        FileContext.getFileContext(root.toUri(), hadoop).rename(staged, manifestPath, Options.Rename.OVERWRITE);
    }

    /** Deletes this run's segment files that the manifest does not list (failed or speculative attempts). */
    int deleteUnlisted(String runId, Set<String> listed) throws IOException {
        int deleted = 0;
        for (FileStatus f : segmentFiles()) {
            String relative = "segments/" + f.getPath().getName();
            if (f.getPath().getName().startsWith(runId + "-") && !listed.contains(relative)) {
                deleted += fs.delete(f.getPath(), false) ? 1 : 0;
            }
        }
        return deleted;
    }

    /** After the commit: deletes the segments of the replaced index. */
    int deleteReplaced(IndexManifest old, Set<String> listed) throws IOException {
        if (old == null) {
            return 0;
        }
        Set<String> stale = new HashSet<>();
        for (IndexManifest.Segment s : old.segments()) {
            if (!listed.contains(s.path())) {
                stale.add(s.path());
            }
        }
        int deleted = 0;
        for (String path : stale) {
            deleted += fs.delete(new Path(root, path), false) ? 1 : 0;
        }
        return deleted;
    }

    private FileStatus[] segmentFiles() throws IOException {
        try {
            return fs.listStatus(new Path(root, "segments"));
        } catch (FileNotFoundException e) {
            return new FileStatus[0];
        }
    }

    Path root() {
        return root;
    }
}
