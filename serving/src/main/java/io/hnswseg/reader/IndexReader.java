package io.hnswseg.reader;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.segment.MappedSegment;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open index: its manifest and its segments, memory-mapped. Each {@link #search} fans out across the
 * segments on a shared, bounded pool (the calling thread searches one of them itself) and merges the
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
    private final ForkJoinPool pool;
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
        this.pool = new ForkJoinPool(options.searchThreads(), p -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("hnswseg-search-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
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
     */
    public SearchResults search(float[] query, int k, int ef) {
        checkQuery(query, k, ef);
        int[] route = router == null ? allSegments : router.route(query, manifest);
        if (route.length == 0) {
            return SearchResults.EMPTY;
        }
        SearchResults[] parts = new SearchResults[route.length];
        if (route.length == 1) {
            return segments[route[0]].search(query, k, ef);
        }
        if (segmentNanos < PARALLEL_MIN_NANOS) {
            // Handing a segment to another thread costs a wake-up (tens of microseconds here); when a
            // segment's search takes less than that, searching them one after the other is faster.
            long start = System.nanoTime();
            for (int i = 0; i < route.length; i++) {
                parts[i] = segments[route[i]].search(query, k, ef);
            }
            segmentNanos = average(segmentNanos, (System.nanoTime() - start) / route.length);
            return TopK.merge(parts, k);
        }
        // Fork the other segments, search the first here, then join: a fork-join task that no worker has
        // taken yet is run by the joining caller itself, so a query never waits for a thread to wake up
        // when the pool is busy, and with idle workers the segments are searched in parallel.
        List<ForkJoinTask<SearchResults>> forked = new ArrayList<>(route.length - 1);
        for (int i = 1; i < route.length; i++) {
            MappedSegment segment = segments[route[i]];
            forked.add(pool.submit(() -> segment.search(query, k, ef)));
        }
        long start = System.nanoTime();
        parts[0] = segments[route[0]].search(query, k, ef);
        segmentNanos = average(segmentNanos, System.nanoTime() - start);
        for (int i = 1; i < route.length; i++) {
            parts[i] = forked.get(i - 1).join();
        }
        return TopK.merge(parts, k);
    }

    private static long average(long mean, long sample) {
        return mean + (sample - mean) / 16;
    }

    /** Searches many queries, in parallel over queries on the pool; results in query order. */
    public List<SearchResults> searchBatch(List<float[]> queries, int k, int ef) {
        for (float[] q : queries) {
            checkQuery(q, k, ef);
        }
        List<ForkJoinTask<SearchResults>> tasks = new ArrayList<>(queries.size());
        for (float[] q : queries) {
            tasks.add(pool.submit(() -> searchSequentially(q, k, ef)));
        }
        List<SearchResults> results = new ArrayList<>(queries.size());
        for (ForkJoinTask<SearchResults> t : tasks) {
            results.add(t.join());
        }
        return results;
    }

    /** One query, its segments one after the other in this thread (used inside the pool: no nested tasks). */
    private SearchResults searchSequentially(float[] query, int k, int ef) {
        int[] route = router == null ? allSegments : router.route(query, manifest);
        SearchResults[] parts = new SearchResults[route.length];
        for (int i = 0; i < route.length; i++) {
            parts[i] = segments[route[i]].search(query, k, ef);
        }
        return route.length == 0 ? SearchResults.EMPTY : TopK.merge(parts, k);
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
