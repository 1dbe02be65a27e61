package io.hnswseg.reader;

import io.hnswseg.concurrent.DaemonThreads;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.segment.CorruptSegmentException;
import io.hnswseg.segment.FileStamp;
import io.hnswseg.segment.MappedSegment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The segments of an open index, each fetched (for a remote index), mapped and checked against the
 * manifest: all of them when the reader opens, or, with {@link ReaderOptions#lazySegments()}, each one when
 * a search first needs it, so that a routed reader's start-up, downloads and memory follow its traffic.
 * Thread-safe: a segment is opened once, by the first search to need it, while searches of other segments
 * go on.
 */
final class Segments implements AutoCloseable {

    private final IndexManifest manifest;
    private final SegmentRoutes routes;
    private final ReaderOptions options;
    /** Where segments not opened yet come from; null once every segment is open (eager opening). */
    private final IndexSource source;
    private final AtomicReferenceArray<MappedSegment> opened;
    /**
     * Per segment, the last refusal of a lazy open (corrupt, or not the manifest's) and the file it refused:
     * while that file is unchanged, searches get the refusal again instead of mapping and checksumming it again.
     */
    private final AtomicReferenceArray<Refusal> refusals;
    /** Per segment, the last fetch that failed and when it ended: the searches that waited on it get its error. */
    private final AtomicReferenceArray<FailedFetch> failedFetches;
    private final Object[] locks;
    private volatile boolean closed;

    private Segments(IndexManifest manifest, SegmentRoutes routes, ReaderOptions options, IndexSource source,
                     MappedSegment[] segments) {
        this.manifest = manifest;
        this.routes = routes;
        this.options = options;
        this.source = source;
        this.opened = new AtomicReferenceArray<>(segments);
        this.refusals = new AtomicReferenceArray<>(segments.length);
        this.failedFetches = new AtomicReferenceArray<>(segments.length);
        this.locks = new Object[segments.length];
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
    }

    /**
     * Opens every segment now (downloads run in parallel); {@code source} is not kept.
     *
     * @throws IOException naming the first segment that is missing, unreadable, corrupt or not the manifest's
     */
    static Segments openAll(IndexSource source, IndexManifest manifest, SegmentRoutes routes, ReaderOptions options)
            throws IOException {
        List<IndexManifest.Segment> entries = manifest.segments();
        MappedSegment[] segments = new MappedSegment[entries.size()];
        ExecutorService fetchers = Executors.newFixedThreadPool(Math.max(1, Math.min(8, entries.size())),
                DaemonThreads.named("hnswseg-fetch"));
        List<CompletableFuture<MappedSegment>> futures = new ArrayList<>();
        try {
            for (int s = 0; s < entries.size(); s++) {
                int index = s;
                futures.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return map(source.segment(entries.get(index)), source, manifest, routes, index, options);
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                }, fetchers));
            }
            for (int i = 0; i < futures.size(); i++) {
                segments[i] = futures.get(i).get();
            }
            return new Segments(manifest, routes, options, null, segments);
        } catch (ExecutionException e) {
            closeAll(segments);
            closeWhenOpened(futures, segments);
            throw causeOf(e);
        } catch (InterruptedException e) {
            closeAll(segments);
            closeWhenOpened(futures, segments);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening " + source.location(), e);
        } finally {
            fetchers.shutdownNow();
        }
    }

    /** What a parallel step's task failed with, to throw as itself: an IOException as one, else unchecked or wrapped. */
    private static IOException causeOf(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof RuntimeException re) {
            throw re;
        }
        return new IOException(cause);
    }

    /**
     * After a failed {@link #openAll}: closes each segment not yet taken into {@code taken} once its fetch ends, now or
     * later. They were left mapped (with their downloaded copies' checks done) until a collection found them, at every
     * retry of a following server whose successor index failed to download (review helper 60).
     */
    private static void closeWhenOpened(List<CompletableFuture<MappedSegment>> futures, MappedSegment[] taken) {
        for (int i = 0; i < futures.size(); i++) {
            if (taken[i] == null) {
                futures.get(i).thenAccept(MappedSegment::close);
            }
        }
    }

    /** Opens no segment now: each one on its first {@link #get}; keeps {@code source} open until {@link #close}. */
    static Segments lazy(IndexSource source, IndexManifest manifest, SegmentRoutes routes, ReaderOptions options) {
        return new Segments(manifest, routes, options, source, new MappedSegment[manifest.segments().size()]);
    }

    /** Maps the fetched {@code file} of segment {@code s} and checks it against its manifest entry and route. */
    private static MappedSegment map(Path file, IndexSource source, IndexManifest manifest, SegmentRoutes routes, int s,
                                     ReaderOptions options) throws IOException {
        IndexManifest.Segment entry = manifest.segments().get(s);
        boolean verify = options.verifyChecksums() && !source.verifiesOnFetch();
        MappedSegment segment = source.cachesCopies() ? MappedSegment.openCachedCopy(file, verify) : MappedSegment.open(file, verify);
        String problem = null;
        if (segment.storedChecksum() != entry.crc32c()) {
            problem = "its CRC32C " + MappedSegment.hex(segment.storedChecksum()) + " differs from the manifest's "
                    + MappedSegment.hex(entry.crc32c()) + ": the file does not belong to this index";
        } else if (segment.size() != entry.count()) {
            problem = "it holds " + segment.size() + " vectors, the manifest says " + entry.count();
        } else if (entry.distinct() != null && segment.distinctCount() != entry.distinct()) {
            // Routing counts these before any segment is open: one too high would cut segments a large k needs.
            problem = "it holds " + segment.distinctCount() + " distinct vectors, the manifest says " + entry.distinct();
        } else if (segment.dimension() != manifest.dimension() || segment.metric() != manifest.metricValue()) {
            problem = "it is " + segment.metric().externalName() + "/" + segment.dimension() + ", the index "
                    + manifest.metric() + "/" + manifest.dimension();
        } else {
            problem = routes.centroidMismatch(s, manifest, segment.header());
        }
        if (problem != null) {
            segment.close();
            throw new ForeignSegmentException("segment " + file + ": " + problem);
        }
        return segment;
    }

    /** A segment file that is sound but not the one the manifest lists there: the same file is refused again. */
    private static final class ForeignSegmentException extends IOException {
        ForeignSegmentException(String message) {
            super(message);
        }

        ForeignSegmentException(String message, Throwable first) {
            super(message, first);
        }
    }

    int count() {
        return opened.length();
    }

    /**
     * Segment {@code s}, opened now if it is not yet (only with lazy opening).
     *
     * @throws SegmentUnavailableException naming the segment when a fetch that may pass later failed
     * @throws UncheckedIOException naming the segment when it is missing, cannot be read or is not the manifest's
     * @throws io.hnswseg.segment.CorruptSegmentException naming the file when it is corrupt
     * @throws IllegalStateException after {@link #close()}
     */
    MappedSegment get(int s) {
        MappedSegment segment = opened.get(s);
        if (segment != null) {
            return segment;
        }
        long arrived = System.nanoTime();
        synchronized (locks[s]) {
            segment = opened.get(s);
            if (segment == null) {
                if (closed) {
                    throw new IllegalStateException("index " + source.location() + " is closed");
                }
                // Before the fetch: a remote index's fetch checksums the cached copy, which is what the refusal saves.
                Refusal refused = refusals.get(s);
                if (refused != null && refused.stillHolds()) {
                    throw refused.again();
                }
                FailedFetch failed = failedFetches.get(s);
                if (failed != null && failed.endedNanos() - arrived >= 0) {
                    // It waited on a fetch that failed meanwhile: that fetch's answer, not a whole round of retries of its
                    // own. Each waiter on an S3 outage ran the 4 attempts in turn, the 32nd answered after 48 s (probe
                    // helper 91); a search arriving after the failure fetches again.
                    throw failed.again();
                }
                IndexManifest.Segment entry = manifest.segments().get(s);
                Path file;
                try {
                    file = source.segment(entry);
                } catch (IOException e) {
                    RuntimeException error = source.mayPass(e) ? new SegmentUnavailableException(e) : new UncheckedIOException(e.getMessage(), e);
                    failedFetches.set(s, new FailedFetch(System.nanoTime(), error));
                    throw error;
                }
                failedFetches.set(s, null);
                segment = mapRememberingRefusal(s, file);
                // close() waits on this lock, so it closes this segment too.
                opened.set(s, segment);
                refusals.set(s, null);
            }
            return segment;
        }
    }

    /** A fetch of a segment that failed, {@code endedNanos} on {@link System#nanoTime}'s clock. */
    private record FailedFetch(long endedNanos, RuntimeException error) {

        /** The same error again, new (an exception object is not shared between threads), caused by the first. */
        RuntimeException again() {
            IOException first = new IOException(error.getMessage(), error);
            return error instanceof SegmentUnavailableException ? new SegmentUnavailableException(first)
                    : new UncheckedIOException(error.getMessage(), first);
        }
    }

    /** A lazy open's refusal of segment {@code s}, as found in {@code file} when it looked like {@code stamp}. */
    private record Refusal(Path file, FileStamp stamp, RuntimeException error) {

        /** Whether the refused file is still as it was then (not knowing is no). */
        boolean stillHolds() {
            try {
                return FileStamp.of(file).equals(stamp);
            } catch (IOException e) {
                return false;
            }
        }

        /** The same error again, new (an exception object is not shared between threads), caused by the first. */
        RuntimeException again() {
            return error instanceof CorruptSegmentException c
                    ? new CorruptSegmentException(c.file(), c.problem(), c)
                    : new UncheckedIOException(error.getMessage(), new ForeignSegmentException(error.getMessage(), error));
        }
    }

    /**
     * Maps and checks segment {@code s} from {@code file}; a refusal of the file itself (corrupt, or not the
     * manifest's) is remembered with the file as it was, so that the searches that need the segment while the
     * file stays so get it again without mapping and checksumming it again. A file put right (copied back,
     * fetched again) is a new stamp. Other failures (too many open files, a mapping the system refused) may
     * pass, and are not remembered.
     */
    private MappedSegment mapRememberingRefusal(int s, Path file) {
        FileStamp stamp;
        try {
            stamp = FileStamp.of(file);
        } catch (IOException e) {
            stamp = null; // Not knowing: map it, let that report what is wrong, and remember nothing.
        }
        RuntimeException error;
        try {
            return map(file, source, manifest, routes, s, options);
        } catch (ForeignSegmentException e) {
            error = new UncheckedIOException(e.getMessage(), e);
        } catch (CorruptSegmentException e) {
            error = e;
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        refusals.set(s, stamp == null ? null : new Refusal(file, stamp, error));
        throw error;
    }

    /**
     * Opens every segment not open yet, eight at a time (a remote index's downloads), and says why each one that could
     * not be opened failed, in manifest order: every such segment, where an eager open stops at the first.
     */
    List<String> openEach() throws IOException {
        if (source == null) {
            return List.of(); // opened eagerly: every segment is open
        }
        List<Integer> all = java.util.stream.IntStream.range(0, count()).boxed().toList();
        return inParallel(all, "hnswseg-fetch", "opening the segments of", s -> {
            try {
                get(s);
                return null;
            } catch (UncheckedIOException | CorruptSegmentException e) {
                return e.getMessage();
            }
        });
    }

    /** What a per-segment step finds wrong with one item, or null. */
    private interface Step<T> {
        String problem(T item) throws IOException;
    }

    /**
     * What {@code step} finds wrong with each of {@code items}, eight at a time (a remote index's requests, one after
     * another, took a thousand round trips for a thousand segments), in their order, those it finds nothing with left out.
     */
    private <T> List<String> inParallel(List<T> items, String threads, String doing, Step<T> step) throws IOException {
        ExecutorService workers = Executors.newFixedThreadPool(Math.max(1, Math.min(8, items.size())), DaemonThreads.named(threads));
        try {
            List<CompletableFuture<String>> answers = new ArrayList<>();
            for (T item : items) {
                answers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return step.problem(item);
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                }, workers));
            }
            List<String> problems = new ArrayList<>();
            for (CompletableFuture<String> answer : answers) {
                String problem = answer.get();
                if (problem != null) {
                    problems.add(problem);
                }
            }
            return problems;
        } catch (ExecutionException e) {
            throw causeOf(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + doing + " " + source.location(), e);
        } finally {
            workers.shutdownNow();
        }
    }

    /** Segment {@code s} when it is open, else null (it is not opened for the asking). */
    MappedSegment ifOpen(int s) {
        return opened.get(s);
    }

    /**
     * For each segment not open yet whose file or object is missing or not the manifest's size, why, asked of the store
     * without reading it (a HEAD per object): what a lazy reader learns of its segments before any search.
     *
     * @throws IOException when the store does not answer (an outage, a timeout) or refuses to (access denied)
     */
    List<String> storedProblems() throws IOException {
        List<IndexManifest.Segment> unopened = new ArrayList<>();
        for (int s = 0; s < opened.length(); s++) {
            if (opened.get(s) == null) {
                unopened.add(manifest.segments().get(s));
            }
        }
        return inParallel(unopened, "hnswseg-head", "asking for the segments of", this::storedProblem);
    }

    /** Why the stored {@code entry} is missing or not the manifest's size, or null when it is there whole. */
    private String storedProblem(IndexManifest.Segment entry) throws IOException {
        try {
            long bytes = source.storedBytes(entry.path());
            // Named as a missing one is, with the index's location (probe helper 84: one way each).
            return bytes == entry.bytes() ? null : source.location().replaceAll("/+$", "") + "/" + entry.path() + " has " + bytes
                    + " bytes, the manifest says " + entry.bytes();
        } catch (java.nio.file.NoSuchFileException e) {
            return e.getMessage();
        }
    }

    /** The segments open now, in manifest order. */
    List<MappedSegment> open() {
        List<MappedSegment> list = new ArrayList<>();
        for (int s = 0; s < opened.length(); s++) {
            MappedSegment segment = opened.get(s);
            if (segment != null) {
                list.add(segment);
            }
        }
        return list;
    }

    @Override
    public void close() {
        closed = true;
        for (int s = 0; s < opened.length(); s++) {
            synchronized (locks[s]) {
                MappedSegment segment = opened.get(s);
                if (segment != null) {
                    segment.close();
                }
            }
        }
        if (source != null) {
            source.close();
        }
    }

    private static void closeAll(MappedSegment[] segments) {
        for (MappedSegment s : segments) {
            if (s != null) {
                s.close();
            }
        }
    }
}
