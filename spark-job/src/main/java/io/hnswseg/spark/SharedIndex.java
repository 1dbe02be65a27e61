package io.hnswseg.spark;

import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.reader.IndexReader;
import io.hnswseg.reader.ReaderOptions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * One open reader per index per executor JVM, shared by every task that searches it: the segments are
 * fetched and mapped once, not per task. An index on a local path is opened where it is; one elsewhere
 * (hdfs:, s3a:, any Hadoop file system) is copied once into the executor's Spark working directory, which
 * Spark removes with the executor. Every task opens the build the driver planned on (its manifest bytes), also
 * after another build has replaced it, so a job never mixes two versions of an index.
 */
final class SharedIndex {

    private static final Logger LOG = LoggerFactory.getLogger(SharedIndex.class);
    /** Readers kept open per JVM; the least recently used beyond this is closed once no task holds it. */
    private static final int KEPT = 4;
    private static final Map<String, Entry> OPEN = new LinkedHashMap<>(8, 0.75f, true);

    /** What a task needs to open the index the driver planned with. */
    static final class Spec implements Serializable {
        private static final long serialVersionUID = 1L;
        final String uri;
        final byte[] manifest;
        final long manifestCrc;
        /** Threads of the shared reader; 0 = the executor JVM's processors. */
        final int searchThreads;
        final Map<String, String> hadoop;

        Spec(String uri, byte[] manifest, int searchThreads, Map<String, String> hadoop) {
            this.uri = uri;
            this.manifest = manifest;
            this.manifestCrc = crc(manifest);
            this.searchThreads = searchThreads;
            this.hadoop = hadoop;
        }

        String key() {
            return uri + "#" + Long.toHexString(manifestCrc) + "#" + searchThreads;
        }
    }

    /** A task's hold on the shared reader; closing it lets the reader be closed once it is no longer kept. */
    static final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean released;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        IndexReader reader() {
            return entry.reader;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                release(entry);
            }
        }
    }

    private static final class Entry {
        final IndexReader reader;
        /** The local copy the reader maps, for an index fetched from another file system; null for a local index. */
        final java.nio.file.Path copy;
        int holders;
        boolean evicted;

        Entry(IndexReader reader, java.nio.file.Path copy) {
            this.reader = reader;
            this.copy = copy;
        }
    }

    private SharedIndex() {
    }

    /** The JVM's reader of the index in {@code spec}, opened (and fetched) by the first task that asks. */
    static Lease acquire(Spec spec) throws IOException {
        // One lock for every index: opening is rare and a second task of the same index must wait for the
        // first to finish fetching anyway.
        synchronized (OPEN) {
            // Copies gone with the SparkContext that fetched them: in local mode the executor is this JVM, and a second
            // session's search failed on the first one's removed files (found by S3BuildTest). Every such reader goes, so
            // that its deleted files' disk space is freed (review helper 92).
            for (Iterator<Entry> kept = OPEN.values().iterator(); kept.hasNext(); ) {
                Entry e = kept.next();
                if (e.copy != null && !Files.isDirectory(e.copy)) {
                    kept.remove();
                    retire(e);
                }
            }
            Entry entry = OPEN.get(spec.key());
            if (entry == null) {
                entry = open(spec);
                OPEN.put(spec.key(), entry);
                evictBeyond(KEPT);
            }
            entry.holders++;
            return new Lease(entry);
        }
    }

    private static void release(Entry entry) {
        synchronized (OPEN) {
            entry.holders--;
            if (entry.evicted && entry.holders == 0) {
                entry.reader.close();
            }
        }
    }

    private static void evictBeyond(int kept) {
        Iterator<Entry> eldest = OPEN.values().iterator();
        while (OPEN.size() > kept && eldest.hasNext()) {
            Entry e = eldest.next();
            eldest.remove();
            retire(e);
        }
    }

    /** Out of the map: closed now if no task holds it, else by the last to let go. */
    private static void retire(Entry e) {
        e.evicted = true;
        if (e.holders == 0) {
            e.reader.close();
        }
    }

    /**
     * Opens the build the driver planned on, as its manifest bytes list it, also when another build has replaced it
     * since: every executor then answers from the same build (the job's reader's lease keeps its files, {@link
     * IndexSearch#holdIndexFiles}). A task that opened the current manifest refused a replaced index, so an executor
     * starting after a rebuild failed the job. When the planned files are gone (a vacuum the lease did not stop), the
     * error says the index was replaced.
     */
    private static Entry open(Spec spec) throws IOException {
        try {
            return openPlanned(spec);
        } catch (IOException e) {
            IOException replaced = replacedSince(spec, e);
            if (replaced != null) {
                replaced.addSuppressed(e);
                throw replaced;
            }
            throw e;
        }
    }

    private static Entry openPlanned(Spec spec) throws IOException {
        int threads = spec.searchThreads > 0 ? spec.searchThreads : Runtime.getRuntime().availableProcessors();
        ReaderOptions options = ReaderOptions.defaults().withSearchThreads(threads);
        URI uri = new Path(spec.uri).toUri();
        if (uri.getScheme() == null || uri.getScheme().equals("file")) {
            java.nio.file.Path dir = uri.getScheme() == null ? java.nio.file.Path.of(spec.uri) : java.nio.file.Path.of(uri);
            return new Entry(IndexReader.open(dir.toString(), spec.manifest, options), null);
        }
        long start = System.nanoTime();
        java.nio.file.Path local = fetch(spec);
        IndexReader reader = IndexReader.open(local.toString(), options);
        LOG.info("hnswseg search: copied {} ({} segments, {} MiB) to {} in {} s", spec.uri, reader.segmentCount(),
                reader.mappedBytes() >> 20, local, String.format("%.1f", (System.nanoTime() - start) / 1e9));
        return new Entry(reader, local);
    }

    /**
     * Where an executor copies the index, under Spark's root directory {@code root}: absolute, since on a cluster's
     * executor that root is ".", and "./x/f" normalised no longer starts with "./x", so every file was refused as leaving
     * the index directory (probe helper 93: search-job of an s3a index under spark-submit).
     */
    static java.nio.file.Path copyDirectory(String root, Spec spec) {
        return java.nio.file.Path.of(root, "hnswseg-index-" + Long.toHexString(crc(spec.uri.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                + "-" + Long.toHexString(spec.manifestCrc)).toAbsolutePath().normalize();
    }

    /** Copies the manifest's files into the working directory, the manifest last; files already complete are kept. */
    private static java.nio.file.Path fetch(Spec spec) throws IOException {
        IndexManifest manifest = IndexManifest.parse(spec.manifest, spec.uri + "/" + IndexManifest.FILE_NAME);
        java.nio.file.Path dir = copyDirectory(SparkFiles.getRootDirectory(), spec);
        Configuration conf = IndexBuild.conf(spec.hadoop);
        Path root = new Path(spec.uri);
        FileSystem fs = root.getFileSystem(conf);
        List<String> files = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (IndexManifest.Segment s : manifest.segments()) {
            files.add(s.path());
            sizes.add(s.bytes());
        }
        if (manifest.routed()) {
            files.add(manifest.routing().centroids().path());
            sizes.add(manifest.routing().centroids().bytes());
        }
        for (int i = 0; i < files.size(); i++) {
            java.nio.file.Path target = dir.resolve(files.get(i)).normalize();
            if (!target.startsWith(dir)) {
                throw new IOException(spec.uri + ": manifest path " + files.get(i) + " leaves the index directory");
            }
            if (Files.isRegularFile(target) && Files.size(target) == sizes.get(i)) {
                continue;
            }
            Files.createDirectories(target.getParent());
            java.nio.file.Path partial = target.resolveSibling(target.getFileName() + ".partial-" + Thread.currentThread().getId());
            try (FSDataInputStream in = fs.open(new Path(root, files.get(i)));
                 OutputStream out = Files.newOutputStream(partial)) {
                in.transferTo(out);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(partial); // a full disk, say: the part copied would only take room
                throw e;
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        // The reader checks each segment's size and CRC32C against these manifest bytes when it opens.
        Files.write(dir.resolve(IndexManifest.FILE_NAME), spec.manifest);
        return dir;
    }

    private static byte[] read(FileSystem fs, Path path) throws IOException {
        try (FSDataInputStream in = fs.open(path)) {
            return in.readAllBytes();
        }
    }

    /**
     * The error to give for {@code failure} when the index's manifest is no longer the planned one (naming the failure: an
     * outage or a full disk is not always a vacuum), else null (also when the manifest cannot be read).
     */
    private static IOException replacedSince(Spec spec, IOException failure) {
        try {
            Path root = new Path(spec.uri);
            byte[] now = read(root.getFileSystem(IndexBuild.conf(spec.hadoop)), new Path(root, IndexManifest.FILE_NAME));
            if (Arrays.equals(now, spec.manifest)) {
                return null;
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return new IOException("the index at " + spec.uri + " was replaced while the search job ran, and the build it planned on "
                + "could not be opened (" + failure.getMessage() + "; its files removed by a vacuum that took no account of this job?):"
                + " run the search again");
    }

    static long crc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }
}
