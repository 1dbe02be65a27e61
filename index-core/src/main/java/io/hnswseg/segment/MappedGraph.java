package io.hnswseg.segment;

import io.hnswseg.distance.CodeQuery;
import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Quantizer;
import io.hnswseg.hnsw.GraphView;
import io.hnswseg.hnsw.NodeScorer;

/**
 * The graph of a mapped segment as the searcher walks it. The header has been checked against the file
 * size, but the body is trusted only as far as the checksum was verified, and maybe not at all: every
 * number read from the file that becomes an index (a link, a link count, an upper-layer start, a level)
 * is range-checked where it is read, so a corrupted body is a {@link CorruptSegmentException} naming the
 * file and the node, never a read outside its section. Node numbers passed in are trusted: the searcher
 * only passes the entry node and links that passed these checks.
 *
 * <p>A search copies only the rows it scores (int8 codes while walking the graph, float vectors to re-rank
 * the beam) into a small per-query scratch array, so the kernels run on arrays (the JDK 17 Vector API's
 * buffer loads do not exist on later JDKs).
 *
 * <p>Mapped ints are never widened to long straight from the load: when a read faults because the file
 * shrank, HotSpot 17 on x86 cannot step over a faulting sign-extending load ({@code movslq}) and aborts the
 * JVM instead of raising the InternalError that {@link MappedSegment#search} turns into an exception.
 */
final class MappedGraph implements GraphView {

    private final String name;
    private final MappedFile file;
    private final Metric metric;
    private final int size;
    private final int dimension;
    private final int m;
    private final int entryNode;
    private final int topLevel;
    private final int stride0Bytes;
    private final int upperBlock;
    private final int upperDataInts;
    private final long idsOffset;
    private final long levelsOffset;
    private final long vectorsOffset;
    private final long layer0Offset;
    private final long upperIndexOffset;
    private final long upperDataOffset;
    private final long codesOffset;
    /** The quantizer of the codes section, or null when the segment has none. */
    private final Quantizer quantizer;
    /** Per node the {@link Quantizer#rowTerm} of its codes (l2 only, else null): derived on open, not stored. */
    private final float[] rowTerms;
    /** Per node how far its vector lies from its decoded codes (format 2 on), else null: searches then re-rank every candidate. */
    private final float[] rowErrors;
    /** Nodes searches score on their floats ({@link Quantizer#misfits}), or null for none. */
    private final boolean[] misfits;
    /** {@link #nextCopy} of each node, read and checked on open; null without a copies section. */
    private final int[] nextCopy;
    /** Nodes that are a later copy of another, counted with {@link #nextCopy}. */
    private int copies;

    /** @throws CorruptSegmentException when the entry node is not on the top level */
    MappedGraph(String name, SegmentHeader header, MappedFile file) {
        SegmentLayout layout = header.layout();
        this.name = name;
        this.file = file;
        this.metric = header.metric();
        this.size = (int) header.count();
        this.dimension = header.dimension();
        this.m = header.m();
        this.entryNode = header.entryNode();
        this.topLevel = header.topLevel();
        this.stride0Bytes = 4 * (1 + 2 * m);
        this.upperBlock = 1 + m;
        this.upperDataInts = (int) header.upperDataInts();
        this.idsOffset = layout.idsOffset();
        this.levelsOffset = layout.levelsOffset();
        this.vectorsOffset = layout.vectorsOffset();
        this.layer0Offset = layout.layer0Offset();
        this.upperIndexOffset = layout.upperIndexOffset();
        this.upperDataOffset = layout.upperDataOffset();
        this.codesOffset = layout.codesOffset();
        if (header.hasCodes()) {
            float[] scale = new float[dimension];
            float[] offset = new float[dimension];
            file.getFloats(layout.quantizerOffset(), scale, 0, dimension);
            file.getFloats(layout.quantizerOffset() + 4L * dimension, offset, 0, dimension);
            // A step is a range over 255 (0 for a constant component): a negative or non-finite one, or a
            // non-finite offset, is corruption that would reorder every code distance without an error.
            for (int d = 0; d < dimension; d++) {
                if (!(scale[d] >= 0 && scale[d] < Float.POSITIVE_INFINITY && Float.isFinite(offset[d]))) {
                    throw new CorruptSegmentException(name, "the quantizer's component " + d + " has scale " + scale[d] + " and offset "
                            + offset[d] + ": a scale must be finite and >= 0, an offset finite; the file is corrupted");
                }
            }
            this.quantizer = new Quantizer(metric, scale, offset);
            this.rowTerms = metric == Metric.L2 ? rowTerms() : null;
            this.rowErrors = layout.codeErrorsOffset() == 0 ? null : rowErrors(layout.codeErrorsOffset());
            this.misfits = rowErrors == null ? null : Quantizer.misfits(metric, rowErrors);
        } else {
            this.quantizer = null;
            this.rowTerms = null;
            this.rowErrors = null;
            this.misfits = null;
        }
        this.nextCopy = header.hasCopies() ? copyChains(layout.copiesOffset()) : null;
        // The descent starts with the entry node's links on the top level.
        if (size > 0 && level(entryNode) != topLevel) {
            throw new CorruptSegmentException(name, "entry node " + entryNode + " is on level " + level(entryNode)
                    + ", but the header's top level is " + topLevel);
        }
    }

    /** The row terms of every node's codes, read from the mapping up to 1,024 rows (and the chunks' overlap) a step. */
    private float[] rowTerms() {
        float[] terms = new float[size];
        int step = Math.max(1, Math.min(1024, file.overlap() / dimension));
        byte[] rows = quantizer.newCodes(step);
        for (int from = 0; from < size; from += step) {
            int n = Math.min(step, size - from);
            file.getBytes(codesOffset + (long) dimension * from, rows, 0, n * dimension);
            quantizer.rowTerms(rows, 0, n, terms, from);
        }
        return terms;
    }

    /**
     * The code errors section, checked: an error is a distance, so a negative one (or NaN) is corruption, which
     * would otherwise let a search skip true neighbours.
     */
    private float[] rowErrors(long offset) {
        float[] errors = file.readFloats(offset, size);
        for (int node = 0; node < size; node++) {
            if (!(errors[node] >= 0)) {
                throw corrupt(node, "has a code error of " + errors[node] + ", which must be >= 0");
            }
        }
        return errors;
    }

    /**
     * The copies section, checked: each chain must run to larger node numbers inside the segment, so that a
     * search following one (to return a vector's copies) always ends; and a copy must be in one chain only,
     * on level 0 without links and not the entry node, as the builder leaves it, so that a search returns it
     * once (a walked node is returned as itself, a copy only through its chain). A copy's vector must also equal its
     * chain's first node's, component by component ({@code ==}, as the builder chains them): a search returns it at
     * that node's distance, so a copy that is not one (a writer's fault the CRC does not catch) would be an answer at
     * a distance it does not have (probe helper 98).
     */
    private int[] copyChains(long offset) {
        int[] next = file.readInts(offset, size);
        boolean[] chained = new boolean[size];
        for (int node = 0; node < size; node++) {
            int copy = next[node];
            if (copy == -1) {
                continue;
            }
            if (copy <= node || copy >= size) {
                throw corrupt(node, "has its next copy at node " + copy + ", which must be -1 or in (" + node + ", " + size + ")");
            }
            if (chained[copy] || copy == entryNode || level(copy) != 0 || file.getInt(layer0Offset + (long) copy * stride0Bytes) != 0) {
                throw corrupt(node, "has its next copy at node " + copy + ", which is " + (chained[copy] ? "in another chain already"
                        : "linked into the graph") + ": a copy is in one chain, on level 0, without links");
            }
            chained[copy] = true;
            copies++;
        }
        sameVectorsAlong(next, chained);
        return next;
    }

    /** Each chain's copies against its first node, read once (chains checked well-formed by {@link #copyChains}). */
    private void sameVectorsAlong(int[] next, boolean[] chained) {
        float[] first = new float[dimension];
        float[] copied = new float[dimension];
        for (int head = 0; head < size; head++) {
            if (next[head] == -1 || chained[head]) {
                continue;
            }
            file.getFloats(vectorsOffset + 4L * dimension * head, first, 0, dimension);
            for (int before = head, copy = next[head]; copy != -1; before = copy, copy = next[copy]) {
                file.getFloats(vectorsOffset + 4L * dimension * copy, copied, 0, dimension);
                for (int d = 0; d < dimension; d++) {
                    if (first[d] != copied[d]) {
                        throw corrupt(before, "has its next copy at node " + copy + ", whose vector differs in component " + d
                                + " from its chain's first node " + head + " (" + copied[d] + " against " + first[d]
                                + "): a copy holds the same vector");
                    }
                }
            }
        }
    }

    @Override
    public int nextCopy(int node) {
        return nextCopy == null ? -1 : nextCopy[node];
    }

    @Override
    public int distinctCount() {
        return size - copies;
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
        return metric;
    }

    @Override
    public int m() {
        return m;
    }

    @Override
    public int entryNode() {
        return entryNode;
    }

    @Override
    public int topLevel() {
        return topLevel;
    }

    /** Levels are uint8; one above the top level is corruption. Searches do not read levels, only the writer does. */
    @Override
    public int level(int node) {
        int level = file.getByte(levelsOffset + node) & 0xFF;
        if (level > topLevel) {
            throw corrupt(node, "is on level " + level + ", above the top level " + topLevel);
        }
        return level;
    }

    @Override
    public long externalId(int node) {
        return file.getLong(idsOffset + 8L * node);
    }

    @Override
    public int neighbours(int level, int node, int[] into) {
        long position;
        int max;
        if (level == 0) {
            position = layer0Offset + (long) node * stride0Bytes;
            max = 2 * m;
        } else {
            int start = file.getInt(upperIndexOffset + 4L * node);
            // The node's blocks for layers 1..level must lie inside the upper data (-1 marks a level-0 node).
            if (start < 0 || start > upperDataInts - level * upperBlock) {
                throw corrupt(node, "has its upper-layer links at " + start + ", outside the " + upperDataInts
                        + " ints of upper data for layer " + level);
            }
            position = upperDataOffset + 4L * (start + (level - 1) * upperBlock);
            max = m;
        }
        int count = file.getInt(position);
        if (Integer.compareUnsigned(count, max) > 0) {
            throw corrupt(node, "has " + count + " links on layer " + level + ", at most " + max + " are allowed");
        }
        file.getInts(position + 4, into, 0, count);
        // Sign bit set iff some link is outside [0, size): no branch per link on the hot path.
        int last = size - 1;
        int outside = 0;
        for (int i = 0; i < count; i++) {
            outside |= into[i] | (last - into[i]);
        }
        if (outside < 0) {
            throw badLink(level, node, into, count);
        }
        return count;
    }

    private CorruptSegmentException badLink(int level, int node, int[] links, int count) {
        int i = 0;
        while (i < count - 1 && links[i] >= 0 && links[i] < size) {
            i++;
        }
        return corrupt(node, "links to node " + links[i] + " on layer " + level + ", outside [0, " + size + ")");
    }

    private CorruptSegmentException corrupt(int node, String problem) {
        return new CorruptSegmentException(name, "node " + node + " " + problem + ": the file is corrupted");
    }

    @Override
    public void copyVector(int node, float[] into, int offset) {
        file.getFloats(vectorsOffset + 4L * dimension * node, into, offset, dimension);
    }

    @Override
    public NodeScorer scorer(float[] query) {
        CodeQuery approximate = quantizer != null ? quantizer.query(query, rowTerms, rowErrors) : null;
        return approximate != null && !approximate.overflows()
                ? new CodeScorer(approximate, misfits == null ? null : new FloatScorer(query)) : new FloatScorer(query);
    }

    @Override
    public NodeScorer exactScorer(float[] query) {
        return quantizer != null ? new FloatScorer(query) : null;
    }

    /**
     * Touches the first byte of each node's row of {@code rowBytes} from {@code section}, so the rows'
     * cache misses overlap instead of queueing one per copy; the caller keeps the sum (so the loads stay).
     */
    private int touch(long section, long rowBytes, int[] nodes, int count) {
        int s = 0;
        for (int i = 0; i < count; i++) {
            s += file.getByte(section + rowBytes * nodes[i]);
        }
        return s;
    }

    /** Copies the codes it scores out of the mapping into a scratch array, then runs the array kernels. */
    private final class CodeScorer implements NodeScorer {
        private final CodeQuery query;
        /** Scores the {@link #misfits} on their floats; null when there are none. */
        private final FloatScorer exact;
        private final byte[] scratch = quantizer.newCodes(4);
        /** Keeps the touched bytes, so the JIT cannot drop the loads of {@link #prefetch}. */
        private int sink;

        CodeScorer(CodeQuery query, FloatScorer exact) {
            this.query = query;
            this.exact = exact;
        }

        /**
         * Touches the rows' codes and, for l2, their row terms: the kernel's result needs both, and a term is
         * a second cache miss per row (the terms of a cold segment are as cold as its codes) that would
         * otherwise come after the kernel, one batch at a time. Loading them here overlaps the two: a routed
         * query over sift-real-1m's 16 segments took 7-12% less time for it (median passes, nprobe 4-5, ef
         * 56-96, one thread), one warm segment of sift-real the same within noise. Not done for graphs in
         * memory, whose terms are warm: there it cost 10%.
         */
        @Override
        public void prefetch(int[] nodes, int count) {
            int s = touch(codesOffset, dimension, nodes, count);
            float[] terms = rowTerms;
            if (terms != null) {
                for (int i = 0; i < count; i++) {
                    s += Float.floatToRawIntBits(terms[nodes[i]]);
                }
            }
            sink += s;
        }

        private void copyCodes(int node, int at) {
            file.getBytes(codesOffset + (long) dimension * node, scratch, at, dimension);
        }

        @Override
        public float score(int node) {
            if (exact != null && misfits[node]) {
                return exact.score(node);
            }
            copyCodes(node, 0);
            return query.distance(scratch, 0, node);
        }

        @Override
        public float lowerBound(int node, float approximate) {
            return query.lowerBound(approximate, node);
        }

        @Override
        public void score4(int n0, int n1, int n2, int n3, float[] out) {
            int d = dimension;
            copyCodes(n0, 0);
            copyCodes(n1, d);
            copyCodes(n2, 2 * d);
            copyCodes(n3, 3 * d);
            query.distance4(scratch, 0, d, 2 * d, 3 * d, n0, n1, n2, n3, out);
            if (exact != null) {
                io.hnswseg.hnsw.Misfits.rescore(misfits, exact, n0, n1, n2, n3, out);
            }
        }
    }

    /** Copies the vectors it scores out of the mapping into a scratch array, then runs the array kernels. */
    private final class FloatScorer implements NodeScorer {
        private final float[] query;
        private final float[] scratch = new float[4 * dimension];
        /** Keeps the touched bytes, so the JIT cannot drop the loads of {@link #prefetch}. */
        private int sink;

        FloatScorer(float[] query) {
            this.query = query;
        }

        @Override
        public void prefetch(int[] nodes, int count) {
            sink += touch(vectorsOffset, 4L * dimension, nodes, count);
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
