package io.hnswseg.segment;

import io.hnswseg.distance.CodeQuery;
import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Quantizer;
import io.hnswseg.hnsw.GraphSearcher;
import io.hnswseg.hnsw.GraphView;
import io.hnswseg.hnsw.NodeScorer;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.hnsw.VectorIndex;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A segment file, memory-mapped and searched in place: the graph and the vectors stay in the page cache,
 * not on the heap. A search copies only the rows it scores (int8 codes while walking the graph, float
 * vectors to re-rank the beam) into a small per-query scratch array, so the kernels run on arrays (the
 * JDK 17 Vector API's buffer loads do not exist on later JDKs).
 *
 * <p>Searches give exactly the results of the {@code HnswGraph} the file was written from. Thread-safe.
 * {@link #close()} drops the mapping; the JVM unmaps it once it is unreachable.
 */
public final class MappedSegment implements GraphView, VectorIndex, Closeable {

    private final String name;
    private final SegmentHeader header;
    private final SegmentLayout layout;
    private final MappedFile file;
    private final int dimension;
    private final int size;
    private final int stride0Bytes;
    private final int upperBlock;
    /** The quantizer of the codes section, or null when the segment has none. */
    private final Quantizer quantizer;
    private volatile boolean closed;

    private MappedSegment(String name, SegmentHeader header, MappedFile file) {
        this.name = name;
        this.header = header;
        this.layout = header.layout();
        this.file = file;
        this.dimension = header.dimension();
        this.size = (int) header.count();
        this.stride0Bytes = 4 * (1 + 2 * header.m());
        this.upperBlock = 1 + header.m();
        if (header.hasCodes()) {
            float[] scale = new float[dimension];
            float[] offset = new float[dimension];
            file.getFloats(layout.quantizerOffset(), scale, 0, dimension);
            file.getFloats(layout.quantizerOffset() + 4L * dimension, offset, 0, dimension);
            this.quantizer = new Quantizer(header.metric(), scale, offset);
        } else {
            this.quantizer = null;
        }
    }

    /** Opens and fully verifies a segment file (header, sizes and checksum). */
    public static MappedSegment open(Path path) throws IOException {
        return open(path, true);
    }

    /**
     * Opens a segment file.
     *
     * @param verifyChecksum compute the CRC32C of the whole file and compare it with the footer; skipping
     *                       it makes opening instant but trusts the bytes
     * @throws CorruptSegmentException naming the file and what is wrong with it
     * @throws NoSuchFileException     when the file does not exist
     */
    public static MappedSegment open(Path path, boolean verifyChecksum) throws IOException {
        return open(path, verifyChecksum, MappedFile.DEFAULT_CHUNK_SHIFT, MappedFile.DEFAULT_OVERLAP);
    }

    static MappedSegment open(Path path, boolean verifyChecksum, int chunkShift, int overlap) throws IOException {
        String name = path.toString();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long bytes = channel.size();
            MappedFile file = new MappedFile(channel, bytes, chunkShift, overlap);
            SegmentHeader header = SegmentHeader.read(file.head(), name, bytes);
            int largestRecord = 4 * Math.max(header.dimension(), 1 + 2 * header.m());
            if (largestRecord > overlap) {
                throw new CorruptSegmentException(name, "records of " + largestRecord + " bytes exceed the mapping overlap of " + overlap);
            }
            SegmentLayout layout = header.layout();
            int footerMagic = file.getInt(layout.footerOffset() + 4);
            if (footerMagic != SegmentLayout.FOOTER_MAGIC) {
                throw new CorruptSegmentException(name, "bad footer magic 0x" + Integer.toHexString(footerMagic) + ": file truncated or overwritten");
            }
            if (verifyChecksum) {
                long stored = Integer.toUnsignedLong(file.getInt(layout.footerOffset()));
                long actual = file.crc32c(layout.footerOffset());
                if (stored != actual) {
                    throw new CorruptSegmentException(name, "checksum mismatch: footer has CRC32C 0x" + Long.toHexString(stored)
                            + ", contents have 0x" + Long.toHexString(actual) + ": the file is corrupted");
                }
            }
            return new MappedSegment(name, header, file);
        }
    }

    /** The stored CRC32C of the file (the footer's value). */
    public long storedChecksum() {
        return Integer.toUnsignedLong(file.getInt(layout.footerOffset()));
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

    @Override
    public SearchResults search(float[] query, int k, int ef) {
        if (closed) {
            throw new IllegalStateException("segment " + name + " is closed");
        }
        return GraphSearcher.search(this, query, k, ef);
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public Metric metric() {
        return header.metric();
    }

    @Override
    public int m() {
        return header.m();
    }

    @Override
    public int entryNode() {
        return header.entryNode();
    }

    @Override
    public int topLevel() {
        return header.topLevel();
    }

    @Override
    public int level(int node) {
        return file.getByte(layout.levelsOffset() + node);
    }

    @Override
    public long externalId(int node) {
        return file.getLong(layout.idsOffset() + 8L * node);
    }

    @Override
    public int neighbours(int level, int node, int[] into) {
        long position;
        int max;
        if (level == 0) {
            position = layout.layer0Offset() + (long) node * stride0Bytes;
            max = 2 * header.m();
        } else {
            int start = file.getInt(layout.upperIndexOffset() + 4L * node);
            position = layout.upperDataOffset() + 4L * (start + (long) (level - 1) * upperBlock);
            max = header.m();
        }
        int count = file.getInt(position);
        if (count < 0 || count > max) {
            throw new CorruptSegmentException(name, "node " + node + " has " + count + " links on layer " + level
                    + ", at most " + max + " are allowed: the file is corrupted");
        }
        file.getInts(position + 4, into, 0, count);
        return count;
    }

    @Override
    public void copyVector(int node, float[] into, int offset) {
        file.getFloats(layout.vectorsOffset() + 4L * dimension * node, into, offset, dimension);
    }

    @Override
    public NodeScorer scorer(float[] query) {
        return quantizer != null ? new MappedCodeScorer(quantizer.query(query)) : new MappedScorer(query);
    }

    @Override
    public NodeScorer exactScorer(float[] query) {
        return quantizer != null ? new MappedScorer(query) : null;
    }

    /** Copies the codes it scores out of the mapping into a scratch array, then runs the array kernels. */
    private final class MappedCodeScorer implements NodeScorer {
        private final CodeQuery query;
        private final byte[] scratch = new byte[4 * dimension];

        MappedCodeScorer(CodeQuery query) {
            this.query = query;
        }

        private void copyCodes(int node, int at) {
            file.getBytes(layout.codesOffset() + (long) dimension * node, scratch, at, dimension);
        }

        @Override
        public float score(int node) {
            copyCodes(node, 0);
            return query.distance(scratch, 0);
        }

        @Override
        public void score4(int n0, int n1, int n2, int n3, float[] out) {
            int d = dimension;
            copyCodes(n0, 0);
            copyCodes(n1, d);
            copyCodes(n2, 2 * d);
            copyCodes(n3, 3 * d);
            query.distance4(scratch, 0, d, 2 * d, 3 * d, out);
        }
    }

    /** Copies the vectors it scores out of the mapping into a scratch array, then runs the array kernels. */
    private final class MappedScorer implements NodeScorer {
        private final float[] query;
        private final float[] scratch = new float[4 * dimension];
        private final Metric metric = header.metric();

        MappedScorer(float[] query) {
            this.query = query;
        }

        @Override
        public float score(int node) {
            copyVector(node, scratch, 0);
            return metric.distance(query, 0, scratch, 0, dimension);
        }

        @Override
        public void score4(int n0, int n1, int n2, int n3, float[] out) {
            int d = dimension;
            copyVector(n0, scratch, 0);
            copyVector(n1, scratch, d);
            copyVector(n2, scratch, 2 * d);
            copyVector(n3, scratch, 3 * d);
            metric.distance4(query, 0, scratch, 0, d, 2 * d, 3 * d, d, out);
        }
    }
}
