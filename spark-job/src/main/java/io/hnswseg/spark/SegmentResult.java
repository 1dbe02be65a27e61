package io.hnswseg.spark;

import java.io.Serializable;

/** What a task reports to the driver about the segment it wrote: a small descriptor, never the data. */
final class SegmentResult implements Serializable {

    private static final long serialVersionUID = 1L;

    int partition;
    /** Relative to the index directory, with '/'; null for a partition without vectors. */
    String path;
    long count;
    long bytes;
    long crc32c;
    double seconds;
    /** Vectors of the segment that are a second copy of a row near a partition boundary ({@code --replication}). */
    long replicas;
    /** Rows skipped as invalid by the tasks that read them, counted once each ({@link VectorBlock#skipped}). */
    long skipped;
    /** Vectors of the segment that are exact copies of another of its vectors: indexed once, returned with it. */
    long copies;
    /** What the graph was built with: int8 codes, or float vectors and why. */
    String scoring;
    /** This segment's part of the recall measurement, or null. */
    Evaluation.Partial evaluation;
    /** Of an id check: the {@link Sample#fingerprint} of the rows whose ids it saw ({@link #count} of them). */
    long rowFingerprint;

    SegmentResult() {
    }

    /** A partition with no vectors: it has no segment, but is still accounted for. */
    static SegmentResult empty(int partition, long skipped) {
        SegmentResult r = new SegmentResult();
        r.partition = partition;
        r.skipped = skipped;
        return r;
    }
}
