/**
 * The segment file format, version 3 (versions 1 and 2 are read too; see {@code docs/segment-format.md}):
 * {@link io.hnswseg.segment.SegmentWriter} streams a graph to any {@code OutputStream} in one pass;
 * {@link io.hnswseg.segment.MappedSegment} memory-maps a file and searches it in place, after checking its
 * header, layout and CRC32C, and notices a file changed or removed under it.
 */
package io.hnswseg.segment;
