/**
 * Segment file format v1 (see {@code docs/segment-format.md}): {@link io.hnswseg.segment.SegmentWriter}
 * streams a graph to any {@code OutputStream}; {@link io.hnswseg.segment.MappedSegment} memory-maps a file
 * and searches it in place, after checking its header, sizes and CRC32C.
 */
package io.hnswseg.segment;
