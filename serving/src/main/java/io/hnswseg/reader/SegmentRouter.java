package io.hnswseg.reader;

import io.hnswseg.manifest.IndexManifest;

/**
 * Chooses which segments a query visits: the place for routing (e.g. by partition centroids) when an
 * index is partitioned by content. Without a router every query visits every segment, which is what an
 * index partitioned at random (the Spark job's default) needs.
 */
@FunctionalInterface
public interface SegmentRouter {

    /**
     * @return indexes into {@code manifest.segments()} of the segments to search for {@code query}
     */
    int[] route(float[] query, IndexManifest manifest);
}
