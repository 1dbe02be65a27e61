package io.hnswseg.segment;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;

import java.nio.ByteBuffer;

/**
 * The fixed 192-byte header of a segment file (little-endian).
 *
 * @param count         vectors in the segment
 * @param entryNode     node where searches start, -1 for an empty segment
 * @param upperDataInts length of the upper-layer link section, in ints
 * @param flags         bit 0: the segment carries int8 codes and their quantizer; bit 1: the copies section
 *                      chains the vectors stored more than once
 * @param centroidCrc32c for a segment of a k-means index, the CRC32C of its centroid as the centroids file stores
 *                      it (see {@code Centroids.crc32c}), so that a reader can tell a segment routed by another
 *                      partition's centroid; -1 for none (random partitioning, or written before 2026-12-04)
 * @param centroidBias  with the centroid's CRC, the bias its partition was assigned with (added to the
 *                      centroid's distance), so that a reader can tell a manifest whose biases are not the build's;
 *                      NaN for none (no centroid CRC, or written before the fourteenth stop on 2026-12-04)
 */
public record SegmentHeader(int formatVersion, Metric metric, int dimension, long count, int m, int efConstruction,
                            long seed, int topLevel, int entryNode, long upperDataInts, int flags, long centroidCrc32c,
                            float centroidBias) {

    /** Where the centroid's CRC32C sits: an int32 that says whether it is there (0 or 1), then the CRC. */
    private static final int CENTROID_CRC_OFFSET = 152;
    /** Where the centroid's bias sits: an int32 that says whether it is there (0 or 1), then the float32. */
    private static final int CENTROID_BIAS_OFFSET = 160;
    /** Where the offset of the copies section sits (0 without {@link SegmentLayout#FLAG_COPIES}). */
    private static final int COPIES_OFFSET = 168;

    public SegmentHeader {
        if (centroidCrc32c < -1 || centroidCrc32c > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("centroid CRC32C " + centroidCrc32c + " is not an unsigned 32-bit value or -1");
        }
        if (!Float.isNaN(centroidBias) && (centroidCrc32c < 0 || Float.isInfinite(centroidBias))) {
            throw new IllegalArgumentException("centroid bias " + centroidBias + ": a bias must be finite, and recorded with"
                    + " its centroid's CRC32C (" + centroidCrc32c + ")");
        }
    }

    /** Whether the header records the bias of its centroid. */
    public boolean hasCentroidBias() {
        return !Float.isNaN(centroidBias);
    }

    /**
     * The largest dimension a reader accepts: one vector must fit in the overlap of two mapping chunks
     * ({@link MappedFile#DEFAULT_OVERLAP}). Bounding it (with the count and m) also keeps every section size
     * far below 2^63, so the layout's arithmetic cannot wrap.
     */
    static final int MAX_DIMENSION = MappedFile.DEFAULT_OVERLAP / Float.BYTES;
    /** Levels are one byte; the builder draws at most 30, more than 64 is no graph this project wrote. */
    static final int MAX_TOP_LEVEL = 64;

    /** Whether searches walk int8 codes (and re-rank with the float vectors). */
    public boolean hasCodes() {
        return (flags & SegmentLayout.FLAG_CODES) != 0;
    }

    /** Whether some vectors are stored more than once, chained by the copies section. */
    public boolean hasCopies() {
        return (flags & SegmentLayout.FLAG_COPIES) != 0;
    }

    SegmentLayout layout() {
        return SegmentLayout.of(count, dimension, m, upperDataInts, hasCodes(), hasCopies(), formatVersion);
    }

    void writeTo(ByteBuffer out) {
        SegmentLayout layout = layout();
        int start = out.position();
        out.putLong(SegmentLayout.MAGIC);
        out.putInt(formatVersion);
        out.putInt(metric.code());
        out.putInt(dimension);
        out.putInt(m);
        out.putInt(efConstruction);
        out.putInt(topLevel);
        out.putLong(count);
        out.putInt(entryNode);
        out.putInt(0);
        out.putLong(seed);
        out.putLong(upperDataInts);
        out.putLong(layout.idsOffset());
        out.putLong(layout.levelsOffset());
        out.putLong(layout.vectorsOffset());
        out.putLong(layout.layer0Offset());
        out.putLong(layout.upperIndexOffset());
        out.putLong(layout.upperDataOffset());
        out.putLong(layout.footerOffset());
        out.putInt(flags);
        out.putInt(0);
        out.putLong(layout.quantizerOffset());
        out.putLong(layout.codesOffset());
        out.putLong(layout.codeErrorsOffset());
        // Bytes 152..191 were reserved (zero) in every segment written before: a zero flag reads as "none",
        // and readers that predate the field read past it.
        out.putInt(centroidCrc32c < 0 ? 0 : 1);
        out.putInt(centroidCrc32c < 0 ? 0 : (int) centroidCrc32c);
        out.putInt(hasCentroidBias() ? 1 : 0);
        out.putFloat(hasCentroidBias() ? centroidBias : 0);
        out.putLong(layout.copiesOffset());
        while (out.position() < start + SegmentLayout.HEADER_BYTES) {
            out.put((byte) 0);
        }
    }

    /**
     * Reads and checks a header.
     *
     * @param name the file, for error messages
     * @throws CorruptSegmentException naming the file and the field that is wrong
     */
    static SegmentHeader read(ByteBuffer in, String name, long fileBytes) {
        if (fileBytes < SegmentLayout.HEADER_BYTES + SegmentLayout.FOOTER_BYTES) {
            throw new CorruptSegmentException(name, "file is " + fileBytes + " bytes, shorter than a segment header ("
                    + (SegmentLayout.HEADER_BYTES + SegmentLayout.FOOTER_BYTES) + "): truncated or not a segment");
        }
        long magic = in.getLong(0);
        if (magic != SegmentLayout.MAGIC) {
            throw new CorruptSegmentException(name, "bad magic 0x" + Long.toHexString(magic) + ": not an hnswseg segment file");
        }
        int version = in.getInt(8);
        if (version < SegmentLayout.OLDEST_READABLE_VERSION || version > SegmentLayout.FORMAT_VERSION) {
            throw new CorruptSegmentException(name, "unsupported segment format version " + version + " (this reader supports versions "
                    + SegmentLayout.OLDEST_READABLE_VERSION + " to " + SegmentLayout.FORMAT_VERSION + ")");
        }
        Metric metric;
        try {
            metric = Metric.fromCode(in.getInt(12));
        } catch (IllegalArgumentException e) {
            throw new CorruptSegmentException(name, "header field metric: " + e.getMessage());
        }
        int dimension = in.getInt(16);
        if (dimension < 1 || dimension > MAX_DIMENSION) {
            throw new CorruptSegmentException(name, "header field dimension is " + dimension + ", must be in [1, "
                    + MAX_DIMENSION + "]");
        }
        int m = in.getInt(20);
        int efConstruction = in.getInt(24);
        int topLevel = in.getInt(28);
        long count = in.getLong(32);
        int entryNode = in.getInt(40);
        long seed = in.getLong(48);
        long upperDataInts = in.getLong(56);
        try {
            // The ranges a graph can be built with: a segment holds nothing else.
            new HnswParams(m, efConstruction, seed, metric);
        } catch (IllegalArgumentException e) {
            throw new CorruptSegmentException(name, "header: " + e.getMessage());
        }
        if (count < 0 || count > Integer.MAX_VALUE || upperDataInts < 0 || upperDataInts > Integer.MAX_VALUE) {
            throw new CorruptSegmentException(name, "header counts out of range: count=" + count + " upperDataInts=" + upperDataInts);
        }
        checkEntryAndLevels(name, count, m, topLevel, entryNode, upperDataInts);
        int flags = in.getInt(120);
        // Version 3 marks a copies section, so that readers from before it refuse such a segment by its version; builds
        // of 9d418ba to 7d6c013 (2026-12-04) wrote the same layout as version 2, which is read as it is.
        int known = SegmentLayout.FLAG_CODES | (version >= 2 ? SegmentLayout.FLAG_COPIES : 0);
        if ((flags & ~known) != 0) {
            throw new CorruptSegmentException(name, "unknown header flags 0x" + Integer.toHexString(flags)
                    + " (a version " + version + " segment may set 0x" + Integer.toHexString(known) + ")");
        }
        int hasCentroid = in.getInt(CENTROID_CRC_OFFSET);
        if (hasCentroid != 0 && hasCentroid != 1) {
            throw new CorruptSegmentException(name, "header field at " + CENTROID_CRC_OFFSET + " (centroid CRC present) is "
                    + hasCentroid + ", must be 0 or 1");
        }
        long centroidCrc32c = hasCentroid == 0 ? -1 : Integer.toUnsignedLong(in.getInt(CENTROID_CRC_OFFSET + 4));
        int hasBias = in.getInt(CENTROID_BIAS_OFFSET);
        float bias = in.getFloat(CENTROID_BIAS_OFFSET + 4);
        if (hasBias != 0 && (hasBias != 1 || hasCentroid == 0 || !Float.isFinite(bias))) {
            throw new CorruptSegmentException(name, "header field at " + CENTROID_BIAS_OFFSET + " (centroid bias present) is "
                    + hasBias + " with centroid CRC present " + hasCentroid + " and bias " + bias + ": must be 0, or 1 with a"
                    + " centroid CRC and a finite bias");
        }
        SegmentHeader header = new SegmentHeader(version, metric, dimension, count, m, efConstruction, seed, topLevel,
                entryNode, upperDataInts, flags, centroidCrc32c, hasBias == 0 ? Float.NaN : bias);
        SegmentLayout expected = header.layout();
        long[] stored = {in.getLong(64), in.getLong(72), in.getLong(80), in.getLong(88), in.getLong(96), in.getLong(104),
                in.getLong(112), in.getLong(128), in.getLong(136), in.getLong(144), in.getLong(COPIES_OFFSET)};
        long[] computed = {expected.idsOffset(), expected.levelsOffset(), expected.vectorsOffset(), expected.layer0Offset(),
                expected.upperIndexOffset(), expected.upperDataOffset(), expected.footerOffset(), expected.quantizerOffset(),
                expected.codesOffset(), expected.codeErrorsOffset(), expected.copiesOffset()};
        String[] names = {"ids", "levels", "vectors", "layer0", "upper index", "upper data", "footer", "quantizer", "codes",
                "code errors", "copies"};
        for (int i = 0; i < stored.length; i++) {
            if (stored[i] != computed[i]) {
                throw new CorruptSegmentException(name, "header says the " + names[i] + " section starts at " + stored[i]
                        + ", but the counts put it at " + computed[i]);
            }
        }
        if (expected.fileBytes() != fileBytes) {
            throw new CorruptSegmentException(name, "file is " + fileBytes + " bytes but its header describes "
                    + expected.fileBytes() + (fileBytes < expected.fileBytes() ? ": the file is truncated" : ": trailing bytes"));
        }
        return header;
    }

    /**
     * The entry point and the upper layers must fit the counts: every node of a non-empty segment has at most
     * {@code topLevel} upper blocks of {@code 1 + m} ints and the entry node has exactly that many, so the
     * upper data holds a whole number of blocks between those bounds.
     */
    private static void checkEntryAndLevels(String name, long count, int m, int topLevel, int entryNode, long upperDataInts) {
        long block = 1 + m;
        if (count == 0) {
            if (entryNode != -1 || topLevel != 0 || upperDataInts != 0) {
                throw new CorruptSegmentException(name, "header of an empty segment has entry node " + entryNode + ", top level "
                        + topLevel + " and " + upperDataInts + " ints of upper data (must be -1, 0 and 0)");
            }
            return;
        }
        if (entryNode < 0 || entryNode >= count) {
            throw new CorruptSegmentException(name, "header entry node " + entryNode + " is outside [0, " + count + ")");
        }
        if (topLevel < 0 || topLevel > MAX_TOP_LEVEL) {
            throw new CorruptSegmentException(name, "header top level " + topLevel + " is outside [0, " + MAX_TOP_LEVEL + "]");
        }
        if (upperDataInts % block != 0 || upperDataInts < topLevel * block || upperDataInts > count * topLevel * block) {
            throw new CorruptSegmentException(name, "header has " + upperDataInts + " ints of upper data, which cannot hold "
                    + count + " nodes of top level " + topLevel + " in blocks of " + block + " ints");
        }
    }
}
