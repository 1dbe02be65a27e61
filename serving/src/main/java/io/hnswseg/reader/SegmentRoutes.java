package io.hnswseg.reader;

import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsReader;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.routing.Centroids;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Which segments a query visits. An index partitioned at random has no choice: every segment (with
 * vectors). A k-means index ranks its centroids by routing distance to the query and visits the segments
 * of the {@code nprobe} nearest; a centroid whose partition came out empty has no segment and is passed over.
 */
final class SegmentRoutes {

    private final int[] all;
    /** Null for an index partitioned at random. */
    private final Centroids centroids;
    /** Segment index of each centroid, -1 where its partition has no segment. */
    private final int[] segmentOf;

    private SegmentRoutes(int[] all, Centroids centroids, int[] segmentOf) {
        this.all = all;
        this.centroids = centroids;
        this.segmentOf = segmentOf;
    }

    /**
     * @param centroidsFile the routed index's centroids file (verified), or null for an unrouted index
     */
    static SegmentRoutes of(IndexManifest manifest, byte[] centroidsFile, String centroidsName) throws IOException {
        List<IndexManifest.Segment> segments = manifest.segments();
        int[] all = java.util.stream.IntStream.range(0, segments.size()).filter(i -> segments.get(i).count() > 0).toArray();
        if (!manifest.routed()) {
            return new SegmentRoutes(all, null, null);
        }
        FloatMatrix vectors = VecsReader.parseFloats(centroidsFile, centroidsName);
        IndexManifest.FileRef ref = manifest.routing().centroids();
        if (vectors.rows() != ref.count() || vectors.dimension() != manifest.dimension()) {
            throw new IOException(centroidsName + ": holds " + vectors.rows() + " centroids of dimension " + vectors.dimension()
                    + ", the manifest says " + ref.count() + " of dimension " + manifest.dimension());
        }
        float[] biases = new float[ref.count()];
        for (int i = 0; i < biases.length; i++) {
            biases[i] = manifest.routing().biases().get(i);
        }
        Centroids centroids = new Centroids(manifest.metricValue(), manifest.dimension(), vectors.data(), biases);
        int[] segmentOf = new int[ref.count()];
        Arrays.fill(segmentOf, -1);
        for (int s : all) {
            segmentOf[segments.get(s).centroid()] = s;
        }
        return new SegmentRoutes(all, centroids, segmentOf);
    }

    boolean routed() {
        return centroids != null;
    }

    /** Segments with vectors. */
    int searchable() {
        return all.length;
    }

    /** The segments to search: all for {@code nprobe == 0}, else those of the {@code nprobe} nearest centroids. */
    int[] route(float[] query, int nprobe) {
        if (nprobe == 0 || nprobe >= all.length) {
            return all;
        }
        int[] order = centroids.nearest(query, centroids.count());
        int[] route = new int[nprobe];
        int n = 0;
        for (int i = 0; i < order.length && n < nprobe; i++) {
            int s = segmentOf[order[i]];
            if (s >= 0) {
                route[n++] = s;
            }
        }
        return route;
    }
}
