package io.hnswseg.reader;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.segment.CorruptSegmentException;
import io.hnswseg.segment.MappedSegment;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open index: its manifest and its segments, memory-mapped. Each {@link #search} fans out across the
 * segments (the calling thread searches some itself, idle threads of a shared, bounded pool the others) and merges the
 * per-segment top-k into the global top-k. Thread-safe: any number of threads may search at once.
 *
 * <pre>{@code
 * try (IndexReader index = IndexReader.open("s3://bucket/indexes/products", ReaderOptions.defaults())) {
 *     SearchResults top = index.search(queryVector, 10, 64);
 * }
 * }</pre>
 */
public final class IndexReader implements AutoCloseable {

    private final String location;
    private final IndexManifest manifest;
    private final MappedSegment[] segments;
    private final int[] allSegments;
    private final SegmentRouter router;
    /** Searches segments and batches beside the callers; package-private for tests. */
    final ExecutorService pool;
    private final int searchThreads;
    /** Segments that failed a search, by file: what {@link #health()} reports. */
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    private final int dimension;
    private final Metric metric;
    private volatile boolean closed;
    /**
     * Moving average of one segment's search time. Written racily by concurrent searches: it only steers
     * the choice between parallel and sequential fan-out, and any recent value does for that.
     */
    private volatile long segmentNanos = PARALLEL_MIN_NANOS;
    /** Below this per-segment search time, the segments of a query are searched in the calling thread. */
    static final long PARALLEL_MIN_NANOS = 150_000;
    /** {@link #PARALLEL_MIN_NANOS}, lowered by tests to exercise the parallel path on small segments. */
    long parallelMinNanos = PARALLEL_MIN_NANOS;
    /** Test hook: runs before each segment search of a parallel fan-out, in the thread doing it; null in use. */
    volatile SharedWork.Item segmentHook;

    private IndexReader(String location, IndexManifest manifest, MappedSegment[] segments, ReaderOptions options) {
        this.location = location;
        this.manifest = manifest;
        this.segments = segments;
        this.allSegments = new int[segments.length];
        for (int i = 0; i < segments.length; i++) {
            allSegments[i] = i;
        }
        this.router = options.router();
        this.dimension = manifest.dimension();
        this.metric = manifest.metricValue();
        this.searchThreads = options.searchThreads();
        this.pool = newPool(searchThreads, "hnswseg-search");
    }

    /** Opens an index with {@link ReaderOptions#defaults()}. */
    public static IndexReader open(String uri) throws IOException {
        return open(uri, ReaderOptions.defaults());
    }

    /**
     * Opens an index: a local directory (or {@code file:} URI), or {@code s3://bucket/prefix} ({@code s3a://}
     * is accepted too). Remote segments are downloaded in parallel into the cache (or reused from it when
     * valid), then every segment is mapped and checked against the manifest.
     *
     * @throws IOException naming the object when the manifest or a segment is missing, unreadable, of an
     *                     unknown format, corrupt, or does not match the manifest
     */
    public static IndexReader open(String uri, ReaderOptions options) throws IOException {
        try (IndexSource source = sourceFor(uri, options)) {
            String manifestName = source.location().replaceAll("/+$", "") + "/" + IndexManifest.FILE_NAME;
            IndexManifest manifest = IndexManifest.parse(source.manifest(), manifestName);
            MappedSegment[] segments = openSegments(source, manifest, options);
            return new IndexReader(source.location(), manifest, segments, options);
        }
    }

    static IndexSource sourceFor(String uri, ReaderOptions options) {
        if (uri.startsWith("s3://") || uri.startsWith("s3a://")) {
            return new S3Source(URI.create(uri), options);
        }
        if (uri.startsWith("file:")) {
            return new LocalSource(Path.of(URI.create(uri)));
        }
        if (uri.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw new IllegalArgumentException(uri + ": unsupported scheme (use a local path, file:, s3:// or s3a://)");
        }
        return new LocalSource(Path.of(uri));
    }

    /** Fetches (downloads run in parallel) and maps every segment, checking each against the manifest. */
    private static MappedSegment[] openSegments(IndexSource source, IndexManifest manifest, ReaderOptions options)
            throws IOException {
        List<IndexManifest.Segment> entries = manifest.segments();
        MappedSegment[] opened = new MappedSegment[entries.size()];
        ExecutorService fetchers = newPool(Math.max(1, Math.min(8, entries.size())), "hnswseg-fetch");
        try {
            List<Future<MappedSegment>> futures = new ArrayList<>();
            for (IndexManifest.Segment entry : entries) {
                futures.add(fetchers.submit(() -> openSegment(source, manifest, entry, options)));
            }
            for (int i = 0; i < futures.size(); i++) {
                opened[i] = futures.get(i).get();
            }
            return opened;
        } catch (ExecutionException e) {
            closeAll(opened);
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(cause);
        } catch (InterruptedException e) {
            closeAll(opened);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening " + source.location(), e);
        } finally {
            fetchers.shutdownNow();
        }
    }

    private static MappedSegment openSegment(IndexSource source, IndexManifest manifest, IndexManifest.Segment entry,
                                             ReaderOptions options) throws IOException {
        Path file = source.segment(entry);
        MappedSegment segment = MappedSegment.open(file, options.verifyChecksums() && !source.verifiesOnFetch());
        String problem = null;
        if (segment.storedChecksum() != entry.crc32c()) {
            problem = "its CRC32C 0x" + Long.toHexString(segment.storedChecksum()) + " differs from the manifest's 0x"
                    + Long.toHexString(entry.crc32c()) + ": the file does not belong to this index";
        } else if (segment.size() != entry.count()) {
            problem = "it holds " + segment.size() + " vectors, the manifest says " + entry.count();
        } else if (segment.dimension() != manifest.dimension() || segment.metric() != manifest.metricValue()) {
            problem = "it is " + segment.metric().externalName() + "/" + segment.dimension() + ", the index "
                    + manifest.metric() + "/" + manifest.dimension();
        }
        if (problem != null) {
            segment.close();
            throw new IOException("segment " + file + ": " + problem);
        }
        return segment;
    }

    private static ExecutorService newPool(int threads, String name) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The {@code k} nearest vectors of the whole index, closest first.
     *
     * @throws IllegalArgumentException for a query of the wrong dimension, NaN/Inf components, k <= 0 or ef < k
     * @throws CorruptSegmentException  when a segment turns out to be corrupt or changed on disk; the
     *                                  segment is then reported by {@link #health()}
     */
    public SearchResults search(float[] query, int k, int ef) {
        checkQuery(query, k, ef);
        int[] route = route(query);
        if (route.length == 1) {
            return searchSegment(route[0], query, k, ef);
        }
        SearchResults[] parts = new SearchResults[route.length];
        if (segmentNanos < parallelMinNanos || searchThreads == 1) {
            // Handing a segment to another thread costs a wake-up (tens of microseconds here); when a
            // segment's search takes less than that, searching them one after the other is faster.
            long start = System.nanoTime();
            for (int i = 0; i < route.length; i++) {
                parts[i] = searchSegment(route[i], query, k, ef);
            }
            segmentNanos = average(segmentNanos, (System.nanoTime() - start) / route.length);
            return TopK.merge(parts, k);
        }
        // The caller searches segments itself while idle pool threads take the others: the answer never
        // waits for a pool thread, whichever thread asks and however busy the pool is.
        long start = System.nanoTime();
        SharedWork.run(route.length, searchThreads - 1, pool, i -> {
            SharedWork.Item hook = segmentHook;
            if (hook != null) {
                hook.run(i);
            }
            parts[i] = searchSegment(route[i], query, k, ef);
        });
        segmentNanos = average(segmentNanos, (System.nanoTime() - start) / route.length);
        return TopK.merge(parts, k);
    }

    private static long average(long mean, long sample) {
        return mean + (sample - mean) / 16;
    }

    /** Searches many queries, spread over the calling thread and the pool; results in query order. */
    public List<SearchResults> searchBatch(List<float[]> queries, int k, int ef) {
        for (float[] q : queries) {
            checkQuery(q, k, ef);
        }
        SearchResults[] results = new SearchResults[queries.size()];
        SharedWork.run(results.length, searchThreads - 1, pool, i -> results[i] = searchSequentially(queries.get(i), k, ef));
        return Arrays.asList(results);
    }

    /** One query, its segments one after the other in this thread (used for batches: no nested fan-out). */
    private SearchResults searchSequentially(float[] query, int k, int ef) {
        int[] route = route(query);
        SearchResults[] parts = new SearchResults[route.length];
        for (int i = 0; i < route.length; i++) {
            parts[i] = searchSegment(route[i], query, k, ef);
        }
        return TopK.merge(parts, k);
    }

    /** The segments a query visits: all of them, or the router's choice, checked. */
    private int[] route(float[] query) {
        if (router == null) {
            return allSegments;
        }
        int[] route = router.route(query, manifest);
        if (route == null || route.length == 0) {
            throw new IllegalStateException("router " + router + " chose no segment for a query of " + location);
        }
        for (int i = 0; i < route.length; i++) {
            int s = route[i];
            if (s < 0 || s >= segments.length) {
                throw new IllegalStateException("router " + router + " chose segment " + s + ", the index has " + segments.length);
            }
            for (int j = 0; j < i; j++) {
                if (route[j] == s) {
                    throw new IllegalStateException("router " + router + " chose segment " + s + " twice");
                }
            }
        }
        return route;
    }

    /** One segment's search; a corrupt or changed segment is recorded for {@link #health()} before the error goes on. */
    private SearchResults searchSegment(int s, float[] query, int k, int ef) {
        try {
            return segments[s].search(query, k, ef);
        } catch (CorruptSegmentException e) {
            failures.putIfAbsent(segments[s].name(), e.getMessage());
            throw e;
        }
    }

    /**
     * Whether every segment still answers: a segment whose search found it corrupt or changed on disk
     * is listed with the problem. The reader keeps serving; queries that reach a failed segment fail.
     */
    public Health health() {
        return new Health(failures.isEmpty(), new TreeMap<>(failures));
    }

    /**
     * The reader's state: {@code ok} when no segment has failed, else each failed segment's file and problem.
     */
    public record Health(boolean ok, Map<String, String> failedSegments) {
    }

    private void checkQuery(float[] query, int k, int ef) {
        if (closed) {
            throw new IllegalStateException("index " + location + " is closed");
        }
        if (k <= 0) {
            throw new IllegalArgumentException("k must be > 0, got " + k);
        }
        if (ef < k) {
            throw new IllegalArgumentException("ef must be >= k, got ef=" + ef + " k=" + k);
        }
        Vectors.checkDimension(query.length, dimension, "query");
        Vectors.checkValid(query, 0, dimension, metric, "query");
    }

    public IndexManifest manifest() {
        return manifest;
    }

    /** Where the index was opened from. */
    public String location() {
        return location;
    }

    public int segmentCount() {
        return segments.length;
    }

    /** Vectors in the whole index. */
    public long size() {
        return manifest.totalCount();
    }

    public int dimension() {
        return dimension;
    }

    public Metric metric() {
        return metric;
    }

    /** Bytes of segment files mapped into memory. */
    public long mappedBytes() {
        long bytes = 0;
        for (MappedSegment s : segments) {
            bytes += s.mappedBytes();
        }
        return bytes;
    }

    /** The local files the segments were mapped from (for remote indexes: the cache). */
    public List<String> segmentFiles() {
        List<String> files = new ArrayList<>();
        for (MappedSegment s : segments) {
            files.add(s.name());
        }
        return files;
    }

    @Override
    public void close() {
        closed = true;
        pool.shutdownNow();
        closeAll(segments);
    }

    private static void closeAll(MappedSegment[] segments) {
        for (MappedSegment s : segments) {
            if (s != null) {
                s.close();
            }
        }
    }
}
