package io.hnswseg.segment;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.Copies;
import io.hnswseg.hnsw.GraphSearcher;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.hnsw.VectorIndex;

import java.io.Closeable;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A segment file, memory-mapped and searched in place: the graph and the vectors stay in the page cache,
 * not on the heap. Searches give exactly the results of the {@code HnswGraph} the file was written from.
 * Thread-safe.
 *
 * <p>A damaged file never takes the process down: the header is checked against the file size on open,
 * every index read from the body is range-checked where it is used ({@link MappedGraph}), and a file that
 * changes on disk after it was opened is reported as a {@link CorruptSegmentException} by the next search
 * that notices (its size, times and identity are compared at most once a second; when they moved but the
 * size did not, its CRC32C is computed again, and a copy of the same bytes renamed over it is kept, unless the
 * mapped file has another name through which it could change unseen; and a read
 * that faults because the file shrank is caught). A segment that failed keeps failing, without touching the
 * mapping again.
 *
 * <p>{@link #close()} lets searches in flight finish, then unmaps the file.
 */
public final class MappedSegment implements VectorIndex, Closeable {

    /** How often a search compares the file on disk with what was mapped: a stat a second per segment is free. */
    static final long CHANGE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final VarHandle STATE;
    private static final VarHandle NEXT_CHECK;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(MappedSegment.class, "state", int.class);
            NEXT_CHECK = lookup.findVarHandle(MappedSegment.class, "nextCheckNanos", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** How far {@link #nextCheckNanos} is pushed while a check runs: no other search starts one meanwhile. */
    private static final long CHECK_IN_PROGRESS = Long.MAX_VALUE / 4;

    /** Bit of {@link #state} set by {@link #close()}; the other bits count searches in flight. */
    private static final int CLOSED = Integer.MIN_VALUE;

    private final Path path;
    private final String name;
    private final SegmentHeader header;
    private final MappedFile file;
    private final MappedGraph graph;
    private final long storedChecksum;
    /** Whether the open compared the contents' CRC32C with the footer's ({@code storedChecksum}). */
    private final boolean verifiedOnOpen;
    /** The file as it was when mapped: the mapping reads that inode, whatever is renamed over its name later. */
    private final FileStamp mapped;
    /** The mapped file as it was last seen at the path (its names: a hard link elsewhere could change it unseen). */
    private volatile FileStamp mappedAtPath;
    /** The file as it was when mapped, or as it was last found unchanged in content. */
    private volatile FileStamp stamp;
    private final long changeCheckNanos;
    /** Whether the file is a cache's copy, which only a prune removes ({@link #openCachedCopy}). */
    private final boolean cachedCopy;
    /** Set once a cached copy lost its only name: its bytes can no longer change, so there is nothing to check. */
    private volatile boolean nameless;

    private volatile int state;
    private volatile long nextCheckNanos;
    /** Why searches fail from now on, once one found the file corrupt or changed; null while it is fine. */
    private volatile String failure;

    private MappedSegment(Path path, SegmentHeader header, MappedFile file, MappedGraph graph, long storedChecksum,
                          boolean verifiedOnOpen, FileStamp stamp, long changeCheckNanos, boolean cachedCopy) {
        this.path = path;
        this.name = path.toString();
        this.header = header;
        this.file = file;
        this.graph = graph;
        this.storedChecksum = storedChecksum;
        this.verifiedOnOpen = verifiedOnOpen;
        this.mapped = stamp;
        this.mappedAtPath = stamp;
        this.stamp = stamp;
        this.changeCheckNanos = changeCheckNanos;
        this.cachedCopy = cachedCopy;
        this.nextCheckNanos = System.nanoTime() + changeCheckNanos;
    }

    /** Opens and fully verifies a segment file (header, sizes and checksum). */
    public static MappedSegment open(Path path) throws IOException {
        return open(path, true);
    }

    /**
     * Opens a segment file. The header is always checked against the file's size; the body is checked as
     * it is read, so an unverified corrupt file gives wrong answers or a {@link CorruptSegmentException},
     * never a crash.
     *
     * @param verifyChecksum compute the CRC32C of the whole file and compare it with the footer; skipping
     *                       it makes opening instant but trusts the bytes
     * @throws CorruptSegmentException naming the file and what is wrong with it
     * @throws NoSuchFileException     when the file does not exist
     */
    public static MappedSegment open(Path path, boolean verifyChecksum) throws IOException {
        return open(path, verifyChecksum, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, CHANGE_CHECK_NANOS, false);
    }

    /**
     * Opens a segment file that a reader's cache holds: a verified copy written once and renamed into place,
     * never written in place. It is checked for changes like any segment, except that its name going away is
     * not one: a cache prune (a server that swapped in a rebuilt index, in this process or another sharing the
     * cache) removes names while other readers may still have the files mapped. Once the mapped file has no name
     * left (it had one, so no other path reaches it), its bytes are compared with the footer's CRC32C once more
     * and then no longer checked. See {@link #open(Path, boolean)}.
     */
    public static MappedSegment openCachedCopy(Path path, boolean verifyChecksum) throws IOException {
        return open(path, verifyChecksum, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP, CHANGE_CHECK_NANOS, true);
    }

    static MappedSegment open(Path path, boolean verifyChecksum, int chunkShift, int overlap, long changeCheckNanos)
            throws IOException {
        return open(path, verifyChecksum, chunkShift, overlap, changeCheckNanos, false);
    }

    static MappedSegment open(Path path, boolean verifyChecksum, int chunkShift, int overlap, long changeCheckNanos,
                              boolean cachedCopy) throws IOException {
        String name = path.toString();
        if (Files.isDirectory(path)) {
            throw new IOException(name + " is a directory, not a segment file");
        }
        // Stamped before mapping: a change made while mapping shows at the first check.
        FileStamp stamp = FileStamp.of(path);
        MappedFile file;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            try {
                file = new MappedFile(channel, size, chunkShift, overlap);
            } catch (IOException e) {
                // A read-only mapping longer than the file cannot be made: it shrank since its size was read.
                if (channel.size() < size) {
                    throw new CorruptSegmentException(name, "changed on disk while it was being opened (was " + size
                            + " bytes, now " + channel.size() + ": truncated)", e);
                }
                throw e;
            }
        }
        try {
            return readMapping(() -> checked(path, file, verifyChecksum, overlap, stamp, changeCheckNanos, cachedCopy), fault -> {
                throw new CorruptSegmentException(name, "a read of the mapped file faulted while opening it: the file shrank"
                        + " on disk or the device failed", fault);
            });
        } catch (RuntimeException | InternalError e) {
            file.unmap();
            throw e;
        }
    }

    /** Checks the header, the footer, the checksum if asked and the entry node of a freshly mapped file. */
    private static MappedSegment checked(Path path, MappedFile file, boolean verifyChecksum, int overlap, FileStamp stamp,
                                         long changeCheckNanos, boolean cachedCopy) {
        String name = path.toString();
        SegmentHeader header = SegmentHeader.read(file.head(), name, file.size());
        int largestRecord = 4 * Math.max(header.dimension(), 1 + 2 * header.m());
        if (largestRecord > overlap) {
            throw new CorruptSegmentException(name, "records of " + largestRecord + " bytes exceed the mapping overlap of " + overlap);
        }
        SegmentLayout layout = header.layout();
        int footerMagic = file.getInt(layout.footerOffset() + 4);
        if (footerMagic != SegmentLayout.FOOTER_MAGIC) {
            throw new CorruptSegmentException(name, "bad footer magic 0x" + Integer.toHexString(footerMagic) + ": file truncated or overwritten");
        }
        long stored = Integer.toUnsignedLong(file.getInt(layout.footerOffset()));
        if (verifyChecksum) {
            long actual = file.crc32c(layout.footerOffset());
            if (stored != actual) {
                throw new CorruptSegmentException(name, "checksum mismatch: footer has CRC32C " + hex(stored)
                        + ", contents have " + hex(actual) + ": the file is corrupted");
            }
        }
        MappedGraph graph = new MappedGraph(name, header, file);
        return new MappedSegment(path, header, file, graph, stored, verifyChecksum, stamp, changeCheckNanos, cachedCopy);
    }

    /** The stored CRC32C of the file (the footer's value). */
    public long storedChecksum() {
        return storedChecksum;
    }

    public SegmentHeader header() {
        return header;
    }

    /** Bytes of the file mapped into memory. */
    public long mappedBytes() {
        return file.size();
    }

    public String name() {
        return name;
    }

    /**
     * {@inheritDoc}
     *
     * @throws CorruptSegmentException naming the file when its body turns out to be corrupt, or the file
     *                                 changed on disk after it was opened
     * @throws IllegalStateException   after {@link #close()}
     */
    @Override
    public SearchResults search(float[] query, int k, int ef) {
        return guarded(() -> GraphSearcher.search(graph, query, k, ef));
    }

    /**
     * {@link #search(float[], int, int)} for a caller that already holds {@code k} results within distance
     * {@code cutoff} (from other segments): vectors that cannot come closer than {@code cutoff} may be left
     * out, so the answer may hold fewer than {@code k}; merged with the caller's, the top {@code k} are the
     * same (see {@link GraphSearcher#searchWithin}). Fails as {@link #search} does.
     */
    public SearchResults search(float[] query, int k, int ef, float cutoff) {
        return guarded(() -> GraphSearcher.searchWithin(graph, query, k, ef, cutoff));
    }

    /**
     * {@link #search(float[], int, int)} as if node {@code without} and its copies were not in the segment (see
     * {@link GraphSearcher#searchWithout}; {@code without} from {@link #nodesHolding}): how a build measures
     * recall with one of its own vectors as the query. Fails as {@link #search} does.
     */
    public SearchResults searchWithout(float[] query, int k, int ef, int without) {
        return guarded(() -> GraphSearcher.searchWithout(graph, query, k, ef, without));
    }

    /** The id the caller gave the vector of {@code node} ({@code 0 <= node < size()}). Fails as {@link #search} does. */
    public long externalId(int node) {
        if (node < 0 || node >= graph.size()) {
            throw new IllegalArgumentException("node " + node + " is outside [0, " + graph.size() + ") of segment " + name);
        }
        return guarded(() -> graph.externalId(node));
    }

    /**
     * Copies the stored vector of {@code node} (for cosine, normalised) into {@code into}, which must hold
     * {@link #dimension()} floats. Fails as {@link #search} does.
     */
    public void copyVector(int node, float[] into) {
        if (node < 0 || node >= graph.size()) {
            throw new IllegalArgumentException("node " + node + " is outside [0, " + graph.size() + ") of segment " + name);
        }
        guarded(() -> {
            graph.copyVector(node, into, 0);
            return null;
        });
    }

    /**
     * The exact {@code k} nearest vectors of this segment to each query by brute force (ties by node order, a vector's
     * copies right after it), reading the segment once for all of them: the truth a search is measured against. Fails
     * as {@link #search} does.
     */
    public SearchResults[] exactSearch(float[][] queries, int k) {
        return guarded(() -> GraphSearcher.exact(graph, queries, k));
    }

    /**
     * {@link #exactSearch(float[][], int)} as if, for query {@code i}, node {@code without[i]} and its copies
     * were not in the segment: the truth for {@link #searchWithout} (see {@link GraphSearcher#exactWithout}).
     */
    public SearchResults[] exactSearchWithout(float[][] queries, int k, int[] without) {
        return guarded(() -> GraphSearcher.exactWithout(graph, queries, k, without));
    }

    /** For each of {@code rows}, the first node holding it, or -1 (see {@link Copies#nodesHolding}). Fails as {@link #search} does. */
    public int[] nodesHolding(float[][] rows) {
        return guarded(() -> Copies.nodesHolding(graph, rows));
    }

    /** Runs a read of the mapping, turning a fault or a file changed on disk into a CorruptSegmentException. */
    private <T> T guarded(Supplier<T> read) {
        acquire();
        try {
            checkUnchanged();
            return readMapping(read, fault -> {
                // The fault's own handling is done, so the change check may read the mapping (and fault) again.
                String change = changeOnDisk();
                throw fail(change != null ? change : "a read of the mapped file faulted: the file shrank on disk or the device failed", fault);
            });
        } catch (CorruptSegmentException e) {
            // A range check found the body corrupt (an unverified open): the other queries' walks would read the
            // same bytes, so the segment fails from now on, as it does for a file changed on disk.
            if (failure == null) {
                failure = e.problem();
            }
            throw e;
        } finally {
            release();
        }
    }

    /**
     * Runs {@code read} of the mapping and raises any fault it left pending (also when it threw: the garbage of
     * a faulted read may be what looked corrupt); a fault, with every other one pending drained, is what
     * {@code onFault} makes of it. Any other error goes on.
     */
    private static <T> T readMapping(Supplier<T> read, Function<InternalError, T> onFault) {
        try {
            try {
                return read.get();
            } finally {
                raiseFaults();
            }
        } catch (InternalError e) {
            if (!isMappingFault(e)) {
                throw e;
            }
            drainFaults();
            return onFault.apply(e);
        }
    }

    /** The JVM's report of a mapped read that faulted (SIGBUS): past the end of a file that shrank, or an I/O error. */
    private static boolean isMappingFault(InternalError e) {
        return e.getMessage() != null && e.getMessage().contains("unsafe memory access");
    }

    /**
     * Outer length of the array {@link #raiseFaults()} allocates: a field the JIT cannot fold, so the
     * allocation is never expanded inline.
     */
    private static int faultProbeLength = 1;

    /**
     * Raises here, as an InternalError, any fault of the mapped reads before it. A read that faults in
     * compiled code does not throw: HotSpot 17 skips it (the value is garbage) and raises the error at the
     * thread's next return from the VM into Java, which may come after the search has returned its
     * garbage answer, in the caller's code. Native calls do not count (their return skips that check);
     * a runtime call does, and allocating a two-dimensional array of unknown outer length is one in the
     * interpreter and in both compilers: about 100 ns, nothing beside a search.
     */
    private static void raiseFaults() {
        byte[][] probe = new byte[faultProbeLength][0];
        if (probe.length != 1) {
            throw new AssertionError("fault probe length " + probe.length);
        }
    }

    /** Raises and drops faults still pending after the first was caught: one search can leave two. */
    private static void drainFaults() {
        while (true) {
            try {
                raiseFaults();
                return;
            } catch (InternalError again) {
                if (!isMappingFault(again)) {
                    throw again;
                }
            }
        }
    }

    /** Fails fast once the segment failed, and compares the file with its stamp when the time has come. */
    private void checkUnchanged() {
        String failed = failure;
        if (failed != null) {
            throw new CorruptSegmentException(name, failed);
        }
        long now = System.nanoTime();
        long next = nextCheckNanos;
        // One search a period does the stat; the others go on meanwhile. The next period starts when this
        // check ends, so a CRC pass slower than the period never runs twice at once.
        if (now - next >= 0 && NEXT_CHECK.compareAndSet(this, next, now + CHECK_IN_PROGRESS)) {
            String change;
            try {
                change = changeOnDisk();
            } finally {
                nextCheckNanos = System.nanoTime() + changeCheckNanos;
            }
            if (change != null) {
                throw fail(change, null);
            }
        }
    }

    private CorruptSegmentException fail(String problem, Throwable cause) {
        failure = problem;
        return new CorruptSegmentException(name, problem, cause);
    }

    /** How the file on disk differs from the one mapped, or null when it does not (or cannot be looked at now). */
    private String changeOnDisk() {
        if (nameless) {
            return null;
        }
        try {
            FileStamp then = stamp;
            FileStamp now = FileStamp.of(path);
            if (now.equals(then)) {
                return null;
            }
            if (now.size() != then.size()) {
                return "changed on disk after it was opened (" + then.sizeChange(now) + ")";
            }
            // Same size: only the bytes tell. A touch, a chmod, a chown or a hard link (a backup) moves the
            // file's times alone; so does a write in place whose modification time was set back (cp -p,
            // touch -r). A sync tool (rsync, aws s3 sync) renames a fresh copy of the same bytes over it.
            String problem = mappedContentsDiffer();
            if (problem == null && !now.sameFile(mapped)) {
                problem = replacementDiffers();
            }
            if (problem == null) {
                stamp = now;
                if (now.sameFile(mapped)) {
                    mappedAtPath = now;
                }
            }
            return problem;
        } catch (NoSuchFileException e) {
            return unnamed();
        } catch (IOException e) {
            // Not knowing is no change: the mapping stays readable, and a file that did shrink still faults.
            return null;
        }
    }

    /**
     * The file at the path is gone. A cached copy whose mapped file had no other name when last seen can no longer
     * be reached by any path, so its bytes, once found still the footer's, stay so: searches go on from them.
     * Anything else gone is a change (a local index's segment deleted or moved under its readers).
     */
    private String unnamed() {
        if (cachedCopy && mappedAtPath.links() == 1) {
            String problem = mappedContentsDiffer();
            if (problem == null) {
                nameless = true;
            }
            return problem;
        }
        // Probe helper 80: most often a vacuum after a rebuild, under a long search; said so, with the remedy.
        return "deleted or moved away on disk after it was opened (a vacuum after the index was rebuilt removes the replaced"
                + " build's files: open the index again; vacuum --older-than longer than your searches run keeps them for those)";
    }

    /** Why the mapped bytes no longer match the footer's CRC32C read at open, or null when they do. */
    private String mappedContentsDiffer() {
        long actual = readMapping(() -> file.crc32c(header.layout().footerOffset()), fault -> -1L);
        if (actual < 0) {
            return "changed on disk after it was opened: a read of it faulted (it shrank or the device failed)";
        }
        if (actual == storedChecksum) {
            return null;
        }
        return verifiedOnOpen
                ? "changed on disk after it was opened (in place: the CRC32C of its contents is now "
                + hex(actual) + ", was " + hex(storedChecksum) + ")"
                : "changed on disk after it was opened, or corrupt since before (its CRC32C was not checked when it"
                + " was mapped): the CRC32C of its contents is " + hex(actual) + ", its footer's "
                + hex(storedChecksum);
    }

    /**
     * Why the file now at the path, another one than was mapped (or maybe another: a file system without
     * inodes cannot say), is not a copy of the mapped one, or null when it is: its contents and its footer
     * both give the mapped file's CRC32C. The mapping keeps the old file's bytes, so searches go on from them;
     * but only while nothing can write to it unseen, so the mapped file must have had no other name (a hard
     * link would still reach it, and its changes no longer show at the path).
     */
    private String replacementDiffers() throws IOException {
        int links = mappedAtPath.links();
        if (links > 1) {
            return "changed on disk after it was opened (replaced by another file of the same name, while the mapped file"
                    + " has " + links + " names: it could change through another one unseen)";
        }
        try {
            return copyDiffers();
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            // Not a passing doubt: a copy that cannot be read cannot be told from another file.
            return "changed on disk after it was opened (replaced by another file of the same name, which cannot be read: "
                    + e.getMessage() + ")";
        }
    }

    /**
     * Why the file now at the path does not have the mapped file's bytes (by CRC32C), or null when it does: it is
     * opened as a segment of its own (the checks and fault handling of any open), then its CRC32C computed.
     */
    private String copyDiffers() throws IOException {
        String replaced = "changed on disk after it was opened (replaced by another file of the same name and size: ";
        try (MappedSegment copy = open(path, false)) {
            long contents = readMapping(() -> copy.file.crc32c(copy.header.layout().footerOffset()), fault -> -1L);
            if (contents == storedChecksum && copy.storedChecksum == storedChecksum) {
                return null;
            }
            return replaced + "the CRC32C of its contents is " + hex(contents) + ", the mapped file's "
                    + hex(storedChecksum) + ")";
        } catch (CorruptSegmentException e) {
            return replaced + e.problem() + ")";
        }
    }

    /** Counts a search in, unless the segment is closed. */
    private void acquire() {
        int s;
        do {
            s = state;
            if (s < 0) {
                throw new IllegalStateException("segment " + name + " is closed");
            }
        } while (!STATE.weakCompareAndSet(this, s, s + 1));
    }

    /** Counts a search out; the last one out of a closed segment unmaps it. */
    private void release() {
        if ((int) STATE.getAndAdd(this, -1) == (CLOSED | 1)) {
            file.unmap();
        }
    }

    /**
     * Refuses new searches and unmaps the file once the searches in flight are done (now, when there are
     * none). Idempotent.
     */
    @Override
    public void close() {
        if ((int) STATE.getAndBitwiseOr(this, CLOSED) == 0) {
            file.unmap();
        }
    }

    /** A CRC32C as files' tools print one: {@code 0x} and eight hex digits (leading zeros kept). */
    public static String hex(long crc32c) {
        return String.format("0x%08x", crc32c);
    }

    @Override
    public int size() {
        return graph.size();
    }

    /** Vectors of the segment that are not exact copies of another of its vectors. */
    public int distinctCount() {
        return graph.distinctCount();
    }

    @Override
    public int dimension() {
        return graph.dimension();
    }

    @Override
    public Metric metric() {
        return graph.metric();
    }

    /** The graph the searches walk, for tests; reading it after {@link #close()} is an error. */
    MappedGraph graph() {
        return graph;
    }
}
