package io.hnswseg.segment;

/**
 * What the writer reports about a segment it wrote: the figures the manifest lists.
 *
 * @param count  vectors in the segment
 * @param bytes  size of the file
 * @param crc32c CRC32C of the whole file except its last 8 bytes (the footer), as stored in the footer
 */
public record SegmentInfo(long count, long bytes, long crc32c) {

    /** The footer the file ends with: the CRC32C, then the magic {@code HSEG}. */
    public byte[] footer() {
        return SegmentLayout.footer(crc32c);
    }
}
