package io.hnswseg.spark;

import java.io.Serializable;

/** What a task reports to the driver about the segment it wrote: a small descriptor, never the data. */
final class SegmentResult implements Serializable {

    private static final long serialVersionUID = 1L;

    int partition;
    int attempt;
    /** Relative to the index directory, with '/'. */
    String path;
    long count;
    long bytes;
    long crc32c;
    double buildSeconds;
    long skipped;

    SegmentResult() {
    }

    SegmentResult(int partition, int attempt, String path, long count, long bytes, long crc32c, double buildSeconds, long skipped) {
        this.partition = partition;
        this.attempt = attempt;
        this.path = path;
        this.count = count;
        this.bytes = bytes;
        this.crc32c = crc32c;
        this.buildSeconds = buildSeconds;
        this.skipped = skipped;
    }

    /** A partition with no vectors: it has no segment, but is still accounted for. */
    static SegmentResult empty(int partition, int attempt, long skipped) {
        return new SegmentResult(partition, attempt, null, 0, 0, 0, 0, skipped);
    }
}
