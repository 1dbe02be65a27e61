package io.hnswseg.segment;

/**
 * Where each section of a segment file lies, computed from the counts alone, so the writer and the
 * reader agree by construction and the reader can check a header against it.
 */
record SegmentLayout(long idsOffset, long levelsOffset, long vectorsOffset, long layer0Offset,
                     long upperIndexOffset, long upperDataOffset, long quantizerOffset, long codesOffset,
                     long codeErrorsOffset, long copiesOffset, long footerOffset) {

    static final long MAGIC = 0x1A4745535753_4E48L; // "HNSWSEG\x1A" read as a little-endian long
    static final int FOOTER_MAGIC = 0x47455348; // "HSEG" little-endian
    /**
     * The newest version, read and written. Version 2 added the code errors section, version 3 the copies
     * section; version 1 files are still read.
     */
    static final int FORMAT_VERSION = 3;
    static final int OLDEST_READABLE_VERSION = 1;
    static final int HEADER_BYTES = 192;
    /** Header flag: the segment carries int8 codes (and their quantizer), which searches walk with. */
    static final int FLAG_CODES = 1;
    /** Header flag: some vectors are stored more than once, and the copies section chains them. */
    static final int FLAG_COPIES = 2;

    /**
     * The version a segment is written in: 3 only when it has copies, so that readers from before the copies
     * section still open every other segment, and refuse one with copies by its version.
     */
    static int versionFor(boolean copies) {
        return copies ? 3 : 2;
    }
    static final int FOOTER_BYTES = 8;
    static final int ALIGNMENT = 64;

    /** The footer of a file whose bytes before it have CRC32C {@code crc32c}. */
    static byte[] footer(long crc32c) {
        return java.nio.ByteBuffer.allocate(FOOTER_BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt((int) crc32c).putInt(FOOTER_MAGIC).array();
    }

    /**
     * Plain 64-bit arithmetic, safe only for bounded counts: {@link SegmentHeader#read} checks count and
     * upperDataInts <= 2^31 - 1, dimension <= 2^18 and m <= 512 before it calls this, which keeps every sum
     * below 2^52 (a graph being written bounds {@code count * dimension} below 2^31 itself).
     */
    static SegmentLayout of(long count, int dimension, int m, long upperDataInts, boolean codes, boolean copies, int version) {
        long ids = HEADER_BYTES;
        long levels = align(ids + 8 * count);
        long vectors = align(levels + count);
        long layer0 = align(vectors + 4L * dimension * count);
        long upperIndex = align(layer0 + 4L * (1 + 2L * m) * count);
        long upperData = align(upperIndex + 4 * count);
        long end = align(upperData + 4 * upperDataInts);
        long quantizer = 0;
        long codeRows = 0;
        long codeErrors = 0;
        if (codes) {
            quantizer = end;
            codeRows = align(quantizer + 8L * dimension);
            end = align(codeRows + (long) dimension * count);
            if (version >= 2) {
                codeErrors = end;
                end = align(codeErrors + 4 * count);
            }
        }
        long copyChains = 0;
        if (copies) {
            copyChains = end;
            end = align(copyChains + 4 * count);
        }
        return new SegmentLayout(ids, levels, vectors, layer0, upperIndex, upperData, quantizer, codeRows, codeErrors,
                copyChains, end);
    }

    static long align(long offset) {
        return (offset + ALIGNMENT - 1) & -ALIGNMENT;
    }

    long fileBytes() {
        return footerOffset + FOOTER_BYTES;
    }
}
