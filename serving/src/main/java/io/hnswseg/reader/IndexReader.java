package io.hnswseg.reader;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.JacksonVersion;
import io.hnswseg.segment.CorruptSegmentException;
import io.hnswseg.segment.MappedSegment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An open index: its manifest and its segments, memory-mapped (all when it opens, or each on its first
 * search with {@link ReaderOptions#lazySegments()}). Each {@link #search} fans out across the
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
    private final Segments segments;
    private final SegmentRoutes routes;
    private final int defaultNprobe;
    private final int defaultEf;
    /** What went wrong with which segments: what {@link #health()} reports. */
    private final SegmentHealth segmentHealth = new SegmentHealth();
    private final int dimension;
    private final Metric metric;
    /** The manifest's typical vector length, 0 when it records none: short ip queries are searched scaled by it. */
    private final double vectorLength;
    private final ReaderOptions options;
    private volatile boolean closed;
    private final boolean manifestChecksummed;
    /** Spreads each query's (and each batch's) segment searches over the calling thread and the search pool. */
    final FanOut fanOut;
    /** The reader's lease ({@link ReaderOptions#readLease}); null without one. */
    private final ReaderLease lease;

    /** The ef of {@link #search(float[], int)} when the manifest recommends none. */
    public static final int DEFAULT_EF = 64;

    private IndexReader(String location, IndexManifest manifest, boolean manifestChecksummed, Segments segments,
                        SegmentRoutes routes, ReaderOptions options, ReaderLease lease) {
        this.location = location;
        this.lease = lease;
        this.manifest = manifest;
        this.manifestChecksummed = manifestChecksummed;
        this.segments = segments;
        this.routes = routes;
        this.defaultNprobe = manifest.defaultNprobe();
        this.defaultEf = manifest.defaultEf(DEFAULT_EF);
        this.dimension = manifest.dimension();
        this.metric = manifest.metricValue();
        this.vectorLength = manifest.vectorLength() == null ? 0 : manifest.vectorLength();
        this.fanOut = new FanOut(options.searchThreads());
        this.options = options;
    }

    /** Opens an index with {@link ReaderOptions#defaults()}. */
    public static IndexReader open(String uri) throws IOException {
        return open(uri, ReaderOptions.defaults());
    }

    /**
     * Opens an index: a local directory (or {@code file:} URI), or {@code s3://bucket/prefix} ({@code s3a://}
     * is accepted too). Remote segments are downloaded in parallel into the cache (or reused from it when
     * valid), then every segment is mapped and checked against the manifest; with
     * {@link ReaderOptions#lazySegments()}, each segment only when a search first needs it.
     *
     * @throws IOException naming the object when the manifest or (opening every segment now) a segment is
     *                     missing, unreadable, of an unknown format, corrupt, or does not match the manifest
     */
    public static IndexReader open(String uri, ReaderOptions options) throws IOException {
        return open(sourceFor(uri, options), options);
    }

    /**
     * Opens the index at {@code uri} as {@code manifest} (the bytes of its {@code manifest.json}, read earlier) lists it,
     * whatever manifest is there now: a snapshot, so that readers opened at different times of a job answer from the
     * same build when another build replaces it meanwhile. The files it lists must still be there (a vacuum removes a
     * replaced build's files once its grace period has passed, unless a reader's lease keeps them).
     *
     * @throws IOException as {@link #open(String, ReaderOptions)}, for the files {@code manifest} lists
     */
    public static IndexReader open(String uri, byte[] manifest, ReaderOptions options) throws IOException {
        return open(sourceFor(uri, options), manifest, options);
    }

    /** Opens the index {@code source} holds, and closes the source (at once, or with lazy segments at the reader's close). */
    static IndexReader open(IndexSource source, ReaderOptions options) throws IOException {
        byte[] manifest;
        try {
            manifest = source.manifest();
        } catch (IOException | RuntimeException | Error e) {
            source.close();
            throw e;
        }
        return open(source, manifest, options);
    }

    /** {@link #open(IndexSource, ReaderOptions)} as {@code manifestBytes} lists the index. */
    private static IndexReader open(IndexSource source, byte[] manifestBytes, ReaderOptions options) throws IOException {
        ReaderLease lease = null;
        try {
            JacksonVersion.require(); // before the manifest's class loads, which needs Jackson 2.12 (probe helper 103)
            String manifestName = source.location().replaceAll("/+$", "") + "/" + IndexManifest.FILE_NAME;
            IndexManifest manifest = IndexManifest.parse(manifestBytes, manifestName);
            // Before any segment is fetched: a vacuum from now on keeps what this reader is about to open.
            lease = options.readLease() ? ReaderLease.take(source.location(), options, manifest) : null;
            boolean checksummed = IndexManifest.checksummed(manifestBytes);
            IndexManifest.FileRef centroids = manifest.routed() ? manifest.routing().centroids() : null;
            SegmentRoutes routes = SegmentRoutes.of(manifest, centroids == null ? null : source.sideFile(centroids),
                    centroids == null ? null : source.location().replaceAll("/+$", "") + "/" + centroids.path());
            if (options.lazySegments()) {
                // The source stays open for the segments still to come; the reader's close() closes it.
                return new IndexReader(source.location(), manifest, checksummed, Segments.lazy(source, manifest, routes, options),
                        routes, options, lease);
            }
            Segments segments = Segments.openAll(source, manifest, routes, options);
            source.close();
            return new IndexReader(source.location(), manifest, checksummed, segments, routes, options, lease);
        } catch (IOException | RuntimeException | Error e) {
            source.close();
            if (lease != null) {
                lease.close();
            }
            throw e;
        }
    }

    /** Whether {@code uri} names an index on S3 ({@code s3://} or {@code s3a://}), whose segments a reader downloads. */
    public static boolean isS3(String uri) {
        return uri.startsWith("s3://") || uri.startsWith("s3a://");
    }

    static IndexSource sourceFor(String uri, ReaderOptions options) {
        if (isS3(uri)) {
            return new S3Source(uri, options);
        }
        if (uri.startsWith("file:")) {
            return new LocalSource(io.hnswseg.io.LocalFiles.fileUriPath(uri));
        }
        if (uri.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw new IllegalArgumentException(uri + ": unsupported scheme (use a local path, file:, s3:// or s3a://)");
        }
        return new LocalSource(Path.of(uri));
    }

    /**
     * The {@code k} nearest vectors, closest first, with the manifest's recommended nprobe and ef (those the
     * build measured to reach its target recall), else every segment and ef {@value #DEFAULT_EF} (at least k).
     */
    public SearchResults search(float[] query, int k) {
        return search(query, k, Math.max(defaultEf, k), defaultNprobe);
    }

    /** The {@code k} nearest vectors with beam width {@code ef}, over the manifest's recommended nprobe; see {@link #search(float[], int, int, int)}. */
    public SearchResults search(float[] query, int k, int ef) {
        return search(query, k, ef, defaultNprobe);
    }

    /**
     * The {@code k} nearest vectors of the segments the query is routed to, closest first.
     *
     * @param ef     beam width of the search of the nearest (or, for {@code nprobe} 0, of every) segment,
     *               {@code >= k}; a k-means index searches each further probed segment with half the beam of
     *               the one before, never below {@code k} (see {@link io.hnswseg.routing.ProbeBeams})
     * @param nprobe for a k-means index, the most segments to visit: those of the centroids nearest the
     *               query, as far as {@link io.hnswseg.routing.ProbeBeams#reaches} lets a centroid be farther
     *               than the nearest, and more when those hold fewer than k vectors
     *               ({@link io.hnswseg.routing.ProbeBeams#needsMore}) or answer fewer than k (replicated vectors count
     *               in both their segments); 0 visits every segment with the full beam. An index partitioned at random
     *               takes only 0.
     * @throws IllegalArgumentException for a query of the wrong dimension, NaN/Inf components, {@code k <= 0},
     *                                  {@code ef < k}, {@code ef > }{@link #MAX_EF}, or nprobe outside 0..{@link #segmentCount()}
     * @throws CorruptSegmentException  when a segment turns out to be corrupt or changed on disk; the
     *                                  segment is then reported by {@link #health()}
     * @throws SegmentUnavailableException with {@link ReaderOptions#lazySegments()}, when a segment the query
     *                                  needs could not be fetched now (a later search fetches it again)
     * @throws java.io.UncheckedIOException with {@link ReaderOptions#lazySegments()}, when a segment the query
     *                                  needs is missing, unreadable or not the manifest's
     */
    public SearchResults search(float[] query, int k, int ef, int nprobe) {
        checkQuery(query, k, ef, nprobe);
        float scale = Vectors.ipQueryScale(query, metric, vectorLength);
        float[] searched = scaled(query, scale);
        SegmentRoutes.Probes probes = routes.route(searched, k, ef, nprobe);
        SearchResults found = fanOut.query(searched, k, probes.segments(), probes.efs(), this::searchSegment);
        return unscaled(completed(searched, k, ef, probes.segments(), found), scale);
    }

    /**
     * {@code found}, completed from the next nearest segments while it is short of k and some are unsearched: routing
     * adds up the segments' stored rows, replicas included, so those it chose can hold fewer than k distinct vectors
     * (probe helper 42: k = 200 of 200 vectors in 8 segments at {@code --replication 0.5} answered 130 ids).
     */
    private SearchResults completed(float[] query, int k, int ef, int[] searched, SearchResults found) {
        if (found.size() >= k || !routes.routed() || searched.length >= routes.searchable()) {
            return found;
        }
        boolean[] done = new boolean[routes.searchable()];
        for (int s : searched) {
            done[s] = true;
        }
        int count = searched.length;
        while (found.size() < k && count < done.length) {
            SegmentRoutes.Probes more = routes.more(query, k, ef, done, k - found.size());
            count += more.segments().length;
            SearchResults next = fanOut.query(query, k, more.segments(), more.efs(), this::searchSegment);
            found = TopK.merge(new SearchResults[] {found, next}, k);
        }
        return found;
    }

    /**
     * {@code query} times {@code scale} (itself when 1): an ip query far shorter than the index's vectors is searched
     * scaled up, which changes no ranking, since float32 {@code 1 - x.q} cannot rank small dot products ({@link
     * Vectors#ipQueryScale}); its distances are then converted back ({@link #unscaled}).
     */
    private static float[] scaled(float[] query, float scale) {
        if (scale == 1f) {
            return query;
        }
        float[] out = new float[query.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = query[i] * scale;
        }
        return out;
    }

    /** {@link #scaled(float[], float)} of each query, its factor into {@code scales}. */
    private float[][] scaled(List<float[]> queries, float[] scales) {
        float[][] out = new float[queries.size()][];
        for (int i = 0; i < out.length; i++) {
            scales[i] = Vectors.ipQueryScale(queries.get(i), metric, vectorLength);
            out[i] = scaled(queries.get(i), scales[i]);
        }
        return out;
    }

    private static SearchResults unscaled(SearchResults found, float scale) {
        if (scale == 1f) {
            return found;
        }
        float[] distances = new float[found.size()];
        for (int i = 0; i < distances.length; i++) {
            distances[i] = Vectors.unscaledIpDistance(found.distances()[i], scale);
        }
        return new SearchResults(found.ids(), distances);
    }

    /** {@link #searchBatch(List, int, int, int)} with the manifest's recommended nprobe. */
    public List<SearchResults> searchBatch(List<float[]> queries, int k, int ef) {
        return searchBatch(queries, k, ef, defaultNprobe);
    }

    /**
     * Searches many queries, segment by segment: the queries are routed, then each segment is searched for
     * all the queries that visit it, so its links and codes stay in the CPU's caches from one search to the
     * next (16 k-means segments of sift-real-1m, 100,000 queries, nprobe 4: 1.2-1.35x the queries/s of
     * searching each query's segments in turn). A long list is taken in steps of at most
     * {@value FanOut#RESULTS_PER_CHUNK} partial results (segment searches times k), which bounds the memory they
     * hold at once; the answers, k per query, are the caller's to bound. The searches are spread over the
     * calling thread and the pool; results in query order, the same as {@link #search(float[], int, int, int)}'s.
     * Every query is checked before any is searched; an error names the first bad one by its place in the list.
     */
    public List<SearchResults> searchBatch(List<float[]> queries, int k, int ef, int nprobe) {
        checkSettings(k, ef, nprobe);
        for (int i = 0; i < queries.size(); i++) {
            checkVector(queries.get(i), "query " + i + " of the batch");
        }
        float[] scales = new float[queries.size()];
        List<float[]> searched = Arrays.asList(scaled(queries, scales));
        int probesPerQuery = nprobe == 0 || !routes.routed() ? segments.count() : nprobe;
        SearchResults[] found = fanOut.batch(searched, k, segments.count(), probesPerQuery, q -> routes.route(q, k, ef, nprobe),
                this::searchSegment);
        for (int i = 0; i < found.length; i++) {
            if (found[i].size() < k && routes.routed() && nprobe != 0) {
                found[i] = completed(searched.get(i), k, ef, routes.route(searched.get(i), k, ef, nprobe).segments(), found[i]);
            }
            found[i] = unscaled(found[i], scales[i]);
        }
        return Arrays.asList(found);
    }

    /**
     * The stored vectors (for cosine, normalised) of those of {@code ids} the index holds, by id: every segment's
     * ids are read once, so for a set of ids at a time, not for serving. An id missing from the index is
     * missing from the map.
     */
    public Map<Long, float[]> vectors(Set<Long> ids) {
        Map<Long, float[]> found = new HashMap<>();
        for (int s = 0; s < segments.count() && found.size() < ids.size(); s++) {
            if (manifest.segments().get(s).count() == 0) {
                continue;
            }
            MappedSegment segment = segment(s);
            for (int node = 0; node < segment.size(); node++) {
                long id = segment.externalId(node);
                if (ids.contains(id) && !found.containsKey(id)) {
                    float[] vector = new float[segment.dimension()];
                    segment.copyVector(node, vector);
                    found.put(id, vector);
                }
            }
        }
        return found;
    }

    /**
     * The exact {@code k} nearest vectors of the whole index by brute force over every segment, closest
     * first: the truth to measure {@link #search} against (a full scan of the index, so for samples of
     * queries, not for serving).
     */
    public SearchResults exactSearch(float[] query, int k) {
        return exactSearch(List.of(query), k).get(0);
    }

    /** {@link #exactSearch(float[], int)} for many queries, each segment read once for all of them. */
    public List<SearchResults> exactSearch(List<float[]> queries, int k) {
        for (float[] q : queries) {
            checkQuery(q, k, k, 0);
        }
        float[] scales = new float[queries.size()];
        float[][] all = scaled(queries, scales);
        SearchResults[][] parts = new SearchResults[queries.size()][segments.count()];
        int searched = 0;
        for (int s = 0; s < segments.count(); s++) {
            if (manifest.segments().get(s).count() > 0) {
                SearchResults[] found = segment(s).exactSearch(all, k);
                for (int q = 0; q < all.length; q++) {
                    parts[q][searched] = found[q];
                }
                searched++;
            }
        }
        SearchResults[] merged = new SearchResults[all.length];
        for (int q = 0; q < all.length; q++) {
            merged[q] = unscaled(TopK.merge(Arrays.copyOf(parts[q], searched), k), scales[q]);
        }
        return Arrays.asList(merged);
    }

    /**
     * One segment's search, skipping what cannot come closer than {@code cutoff} (see
     * {@link MappedSegment#search(float[], int, int, float)}); a corrupt or changed segment is recorded for
     * {@link #health()} before the error goes on.
     */
    private SearchResults searchSegment(int s, float[] query, int k, int ef, float cutoff) {
        MappedSegment segment = segment(s);
        try {
            return segment.search(query, k, ef, cutoff);
        } catch (CorruptSegmentException e) {
            segmentHealth.searchFailed(segment.name(), e.getMessage());
            throw e;
        }
    }

    /**
     * Segment {@code s}, opened now when the reader opens segments lazily; a failure to open it is recorded
     * for {@link #health()} until a search opens it.
     */
    private MappedSegment segment(int s) {
        MappedSegment segment = segments.ifOpen(s);
        if (segment != null) {
            return segment;
        }
        String where = location.replaceAll("/+$", "") + "/" + manifest.segments().get(s).path();
        try {
            segment = segments.get(s);
        } catch (java.io.UncheckedIOException | CorruptSegmentException e) {
            segmentHealth.openFailed(where, e);
            if (segments.ifOpen(s) != null) {
                // Another search opened it meanwhile (and may have cleared the entry before this failure's).
                segmentHealth.opened(where);
            }
            throw e;
        }
        segmentHealth.opened(where);
        return segment;
    }

    /**
     * Whether every segment still answers. A segment whose search found it corrupt or changed on disk is a
     * failed segment, and so is one a lazy reader found missing or not the manifest's (until a later search
     * opens it); one whose download failed in a way that may pass is unavailable, which does not make the
     * reader fail: its other segments answer, and the next search that needs it fetches it again.
     */
    public Health health() {
        return segmentHealth.snapshot();
    }

    /**
     * The reader's state: {@code ok} when no segment has failed, else each failed segment's file and problem;
     * and the segments a lazy reader could not download just now (see {@link SegmentUnavailableException}).
     */
    public record Health(boolean ok, Map<String, String> failedSegments, Map<String, String> unavailableSegments) {
    }

    /**
     * The widest beam (and so the largest k) a search takes: each search thread holds a few arrays of ef
     * entries, so a beam of two billion ended the JVM with OutOfMemoryError instead of answering; a million
     * is far past any width that buys recall on the segments this project builds.
     */
    public static final int MAX_EF = 1_000_000;

    private void checkQuery(float[] query, int k, int ef, int nprobe) {
        checkSettings(k, ef, nprobe);
        checkVector(query, "query");
    }

    private void checkSettings(int k, int ef, int nprobe) {
        if (closed) {
            throw new IllegalStateException("index " + location + " is closed");
        }
        if (nprobe > 0 && !routes.routed()) {
            throw new IllegalArgumentException("nprobe " + nprobe + ": index " + location + " is partitioned at random, so every "
                    + "query visits all " + routes.searchable() + " segments (use nprobe 0)");
        }
        if (nprobe < 0 || nprobe > routes.searchable()) {
            throw new IllegalArgumentException("nprobe must be in 0.." + routes.searchable() + " (0 = every segment), got " + nprobe);
        }
        if (k <= 0) {
            throw new IllegalArgumentException("k must be > 0, got " + k);
        }
        if (ef < k) {
            throw new IllegalArgumentException("ef must be >= k, got ef=" + ef + " k=" + k);
        }
        if (ef > MAX_EF) {
            throw new IllegalArgumentException("ef (and k) must be at most " + MAX_EF + ", got " + ef);
        }
    }

    private void checkVector(float[] query, String name) {
        Vectors.checkDimension(query.length, dimension, name);
        Vectors.checkValid(query, 0, dimension, metric, name);
    }

    /**
     * The manifest at {@link #location} now (one small read, or one GET). A build with {@code --overwrite}
     * replaces an index in place; a reader opened before goes on answering from the index it opened (whose
     * files stay until a vacuum removes them): where this differs from {@link #manifest}, a long-running reader
     * (a server) is to be reopened ({@link #reopen}).
     *
     * @throws IOException when the manifest there cannot be read or parsed now
     */
    public IndexManifest manifestAtSource() throws IOException {
        try (IndexSource source = sourceFor(location, options)) {
            String name = location.replaceAll("/+$", "") + "/" + IndexManifest.FILE_NAME;
            return IndexManifest.parse(source.manifest(), name);
        }
    }

    /** Opens the index now at this reader's location, with the same options (a new reader; this one stays open). */
    public IndexReader reopen() throws IOException {
        return open(location, options);
    }

    /**
     * Whether {@code failure} (of {@link #open}, {@link #reopen} or a search) is an object store's failure to deliver
     * a segment on every attempt of its download (an outage, timeouts), which trying again later may cure, rather
     * than a property of the index (a missing or refused object, a corrupt or foreign file).
     */
    public static boolean mayPass(Throwable failure) {
        return hasCause(failure, SegmentCache.Unavailable.class) || hasCause(failure, SegmentUnavailableException.class);
    }

    /**
     * Whether {@code failure} of {@link #manifestAtSource} is the store's answer about the index (its manifest missing,
     * damaged, or refused to this reader: a 403 where a missing key is hidden, a bucket gone) rather than a store that
     * did not answer (an outage, a timeout), which says nothing about it.
     */
    public static boolean answeredByStore(Throwable failure) {
        return failure instanceof java.nio.file.NoSuchFileException || failure instanceof SegmentCache.Fatal
                || failure instanceof io.hnswseg.manifest.InvalidManifestException;
    }

    private static boolean hasCause(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Removes this index's segment copies from the cache (a remote index's; a local index has none) except those
     * {@code successor} names too: for a reader that a {@link #reopen} replaced, so that each rebuild of a followed
     * index does not leave a copy of the one before it on disk (the cache is otherwise never pruned). Other
     * readers with those copies mapped, in this process or another sharing the cache, go on searching them (see
     * {@link MappedSegment#openCachedCopy}); one opening segments lazily downloads a removed copy again if it
     * needs it.
     *
     * @return how many files were removed
     * @throws IllegalStateException while this reader is open
     * @throws IOException when a copy cannot be removed (those before it are)
     */
    public int discardCachedCopies(IndexManifest successor) throws IOException {
        if (!closed) {
            throw new IllegalStateException("index " + location + " is open: close it before discarding its cached copies");
        }
        if (!isS3(location)) {
            return 0;
        }
        Path dir = S3Source.cacheDir(location, options);
        Set<Path> kept = new java.util.HashSet<>();
        for (IndexManifest.Segment s : successor.segments()) {
            kept.add(SegmentCache.copyOf(dir, s));
        }
        int removed = 0;
        for (IndexManifest.Segment s : manifest.segments()) {
            Path copy = SegmentCache.copyOf(dir, s);
            if (!kept.contains(copy) && java.nio.file.Files.deleteIfExists(copy)) {
                removed++;
            }
        }
        return removed;
    }

    /** The manifest the index was opened by. */
    public IndexManifest manifest() {
        return manifest;
    }

    /**
     * Whether the manifest carried the checksum builds write (since 2026-12-06), checked as it was read; one without it
     * (an earlier build's, or edited with the field removed) was read unchecked.
     */
    public boolean manifestChecksummed() {
        return manifestChecksummed;
    }

    /** Where the index was opened from. */
    public String location() {
        return location;
    }

    /** The segments the manifest lists (opened or, with lazy segments, not yet). */
    public int segmentCount() {
        return segments.count();
    }

    /** Whether queries are routed to a few segments (a k-means index) or visit all of them. */
    public boolean routed() {
        return routes.routed();
    }

    /** The nprobe that searches use unless told otherwise: the manifest's recommendation, or 0 (all). */
    public int defaultNprobe() {
        return defaultNprobe;
    }

    /** The ef that searches use unless told otherwise: the manifest's recommendation, or {@value #DEFAULT_EF}. */
    public int defaultEf() {
        return defaultEf;
    }

    /** Vectors in the whole index. */
    public long size() {
        return manifest.totalCount();
    }

    /** The vectors' (and so each query's) dimension. */
    public int dimension() {
        return dimension;
    }

    /** The distance the index ranks by. */
    public Metric metric() {
        return metric;
    }

    /** Threads that search one query's segments in parallel, the caller's included ({@link ReaderOptions#searchThreads}). */
    public int searchThreads() {
        return options.searchThreads();
    }

    /**
     * The typical length of the index's vectors, as its manifest records it (0 when it does not): an ip query far
     * shorter is searched scaled up ({@link Vectors#ipQueryScale}), its distances converted back.
     */
    public double typicalVectorLength() {
        return vectorLength;
    }

    /** Bytes of segment files mapped into memory (with lazy opening: of the segments opened so far). */
    public long mappedBytes() {
        long bytes = 0;
        for (MappedSegment s : segments.open()) {
            bytes += s.mappedBytes();
        }
        return bytes;
    }

    /** The local files the segments were mapped from (for remote indexes: the cache); with lazy opening, those opened so far. */
    public List<String> segmentFiles() {
        List<String> files = new ArrayList<>();
        for (MappedSegment s : segments.open()) {
            files.add(s.name());
        }
        return files;
    }

    /**
     * For each segment not opened yet (with {@link ReaderOptions#lazySegments()}) whose file or object is missing or not
     * the manifest's size, why; asked of the store without downloading anything. Empty for a reader that opened all
     * its segments, which it could not have done otherwise.
     *
     * @throws IOException when the store does not answer now
     */
    public List<String> segmentsNotStored() throws IOException {
        return segments.storedProblems();
    }

    /**
     * Opens every segment not open yet, each checked as this reader's options say (its CRC32C unless
     * {@link ReaderOptions#verifyChecksums()} is off), and returns why each one that could not be opened failed, in
     * manifest order: all of them, where opening a reader eagerly stops at the first. Empty when every segment is open.
     *
     * @throws IOException when a segment's opening fails otherwise than by the segment (interrupted, say)
     */
    public List<String> openEverySegment() throws IOException {
        return segments.openEach();
    }

    /** Segments mapped so far: all of them, unless the reader opens segments lazily. */
    public int openSegmentCount() {
        return segments.open().size();
    }

    /**
     * The file name of this reader's lease in the index's directory ({@link ReaderOptions#readLease}), or null when it
     * holds none: not asked for, or refused by the store.
     */
    public String readLease() {
        return lease == null ? null : lease.name();
    }

    @Override
    public void close() {
        closed = true;
        fanOut.close();
        segments.close();
        if (lease != null) {
            lease.close();
        }
    }
}
