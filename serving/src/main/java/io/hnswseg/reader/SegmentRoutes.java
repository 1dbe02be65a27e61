package io.hnswseg.reader;

import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsReader;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.routing.Centroids;
import io.hnswseg.routing.ProbeBeams;
import io.hnswseg.routing.RoutedSegments;
import io.hnswseg.segment.MappedSegment;
import io.hnswseg.segment.SegmentHeader;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Which segments a query visits. An index partitioned at random has no choice: every segment (with
 * vectors). A k-means index ranks its centroids by routing distance to the query and visits the segments
 * of the {@code nprobe} nearest (more when those hold fewer than k vectors); a centroid whose partition came out
 * empty has no segment and is passed over.
 */
final class SegmentRoutes {

    private final int[] all;
    /** Null for an index partitioned at random. */
    private final Centroids centroids;
    /** Per centroid its segment, per segment its vectors; null for an index partitioned at random. */
    private final RoutedSegments segments;
    /** The centroids file, for messages; null for an index partitioned at random. */
    private final String centroidsName;
    /** Per centroid, the CRC32C of its row as the centroids file stores it. */
    private final long[] centroidCrc32cs;

    private SegmentRoutes(int[] all, Centroids centroids, RoutedSegments segments, String centroidsName, long[] centroidCrc32cs) {
        this.all = all;
        this.centroids = centroids;
        this.segments = segments;
        this.centroidsName = centroidsName;
        this.centroidCrc32cs = centroidCrc32cs;
    }

    /**
     * @param centroidsFile the routed index's centroids file (verified), or null for an unrouted index
     */
    static SegmentRoutes of(IndexManifest manifest, byte[] centroidsFile, String centroidsName) throws IOException {
        List<IndexManifest.Segment> segments = manifest.segments();
        // The manifest holds no empty segment (IndexManifest refuses a count of 0).
        int[] all = java.util.stream.IntStream.range(0, segments.size()).toArray();
        if (!manifest.routed()) {
            return new SegmentRoutes(all, null, null, null, null);
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
        Centroids centroids;
        try {
            centroids = new Centroids(manifest.metricValue(), manifest.dimension(), vectors.data(), biases);
        } catch (IllegalArgumentException e) {
            throw new IOException(centroidsName + ": " + e.getMessage(), e);
        }
        int[] segmentOf = new int[ref.count()];
        Arrays.fill(segmentOf, -1);
        for (int s : all) {
            segmentOf[segments.get(s).centroid()] = s;
        }
        // Of the rows as stored: Centroids normalises its copy for ip and cosine.
        long[] crcs = new long[ref.count()];
        for (int c = 0; c < crcs.length; c++) {
            crcs[c] = Centroids.crc32c(vectors.data(), c, vectors.dimension());
        }
        long[] counts = segments.stream().mapToLong(IndexManifest.Segment::count).toArray();
        long[] distinct = segments.stream().mapToLong(IndexManifest.Segment::distinctOrCount).toArray();
        return new SegmentRoutes(all, centroids, new RoutedSegments(segmentOf, counts, distinct), centroidsName, crcs);
    }

    /**
     * Why segment {@code s} cannot be searched under these routes, or null when it can: a k-means segment
     * records the CRC32C of the centroid its vectors were assigned by, and the bias they were assigned with,
     * and the manifest must route it by that centroid and bias. Segments that record none pass when the
     * manifest does not say they all do (indexes written before 2026-12-04; biases before the fourteenth stop).
     */
    String centroidMismatch(int s, IndexManifest manifest, SegmentHeader header) {
        if (centroids == null) {
            return null;
        }
        String crcProblem = centroidCrcMismatch(s, manifest, header.centroidCrc32c());
        return crcProblem != null ? crcProblem : biasMismatch(s, manifest, header);
    }

    private String centroidCrcMismatch(int s, IndexManifest manifest, long segmentCentroidCrc32c) {
        if (segmentCentroidCrc32c < 0) {
            // Checked against the manifest, not against the segments opened before: a lazy reader opens them in
            // the order queries need them, and the altered one must be refused whichever comes first.
            return manifest.routing().segmentsRecordCentroidCrcs()
                    ? "it records no centroid CRC32C, though the manifest says every segment of this index does"
                    + " (its header was altered, or it comes from an older build)"
                    : null;
        }
        int centroid = manifest.segments().get(s).centroid();
        if (centroidCrc32cs[centroid] == segmentCentroidCrc32c) {
            return null;
        }
        return "it was built around a centroid with CRC32C " + MappedSegment.hex(segmentCentroidCrc32c)
                + ", but the manifest routes it by centroid " + centroid + " of " + centroidsName + ", whose CRC32C is "
                + MappedSegment.hex(centroidCrc32cs[centroid]) + ": the manifest's centroid numbers or its centroids file do not"
                + " belong to this segment (queries would be sent to the wrong segments)";
    }

    /**
     * The bias is compared to within one unit in the last place: it travels as a decimal in the manifest's JSON,
     * which a tool that reads floats as doubles may print back with other digits.
     */
    private String biasMismatch(int s, IndexManifest manifest, SegmentHeader header) {
        if (!header.hasCentroidBias()) {
            return manifest.routing().segmentsRecordCentroidBiases()
                    ? "it records no centroid bias, though the manifest says every segment of this index does"
                    + " (its header was altered, or it comes from an older build)"
                    : null;
        }
        int centroid = manifest.segments().get(s).centroid();
        float routed = manifest.routing().biases().get(centroid);
        float built = header.centroidBias();
        if (Math.abs(routed - built) <= Math.ulp(built)) {
            return null;
        }
        return "its vectors were assigned with a bias of " + built + " for its centroid, but the manifest's routing.biases["
                + centroid + "] is " + routed + ": the manifest's biases do not belong to this index (queries would be routed"
                + " by other partition boundaries than the vectors were)";
    }

    boolean routed() {
        return centroids != null;
    }

    /** Segments with vectors. */
    int searchable() {
        return all.length;
    }

    /** The segments a query searches and the beam width of each search. */
    record Probes(int[] segments, int[] efs) {
    }

    /**
     * The segments to search and each one's beam width: every segment with the full {@code ef} for
     * {@code nprobe == 0} or an index partitioned at random; else those {@link RoutedSegments#choose} chooses.
     */
    Probes route(float[] query, int k, int ef, int nprobe) {
        if (nprobe == 0 || centroids == null) {
            int[] efs = new int[all.length];
            Arrays.fill(efs, ef);
            return new Probes(all, efs);
        }
        int wanted = Math.min(nprobe, all.length);
        // Centroids without a segment are passed over, so rank as many more as there are of them; a short answer
        // ranks them all (rare: only k above what the nearest segments hold).
        int missing = centroids.count() - all.length;
        Centroids.Ranking ranking = centroids.rank(query, wanted + missing);
        int[] ranks = new int[wanted];
        int n = choose(ranking, k, nprobe, wanted, ranks);
        if (n < all.length && ProbeBeams.needsMore(k, held(ranking, ranks, n))) {
            ranking = centroids.rank(query, centroids.count());
            ranks = new int[all.length];
            n = choose(ranking, k, nprobe, all.length, ranks);
        }
        int[] chosen = new int[n];
        int[] efs = new int[n];
        for (int i = 0; i < n; i++) {
            chosen[i] = segments.segmentOf(ranking.centroids()[ranks[i]]);
            efs[i] = ProbeBeams.ef(ef, k, ranks[i]);
        }
        return new Probes(chosen, efs);
    }

    private int choose(Centroids.Ranking ranking, int k, int nprobe, int limit, int[] ranks) {
        int[] order = ranking.centroids();
        return segments.choose(nprobe, k, order, ranking.distances(), 0, order.length, limit, ranks);
    }

    /**
     * The next segments for a query whose answer from those marked in {@code searched} came out {@code shortfall} ids
     * short of k: of the nearest centroids, the unsearched segments until they hold the shortfall, each marked
     * searched. A segment's count includes replicas, so the caller asks again while the answer stays short.
     */
    Probes more(float[] query, int k, int ef, boolean[] searched, long shortfall) {
        Centroids.Ranking ranking = centroids.rank(query, centroids.count());
        int[] order = ranking.centroids();
        int[] chosen = new int[all.length];
        int[] efs = new int[all.length];
        int n = 0;
        long held = 0;
        for (int rank = 0; rank < order.length && held < shortfall; rank++) {
            int s = segments.segmentOf(order[rank]);
            if (s >= 0 && !searched[s]) {
                searched[s] = true;
                chosen[n] = s;
                efs[n++] = ProbeBeams.ef(ef, k, rank);
                held += segments.count(s);
            }
        }
        return new Probes(Arrays.copyOf(chosen, n), Arrays.copyOf(efs, n));
    }

    /** The vectors the first {@code n} chosen ranks' segments hold. */
    private long held(Centroids.Ranking ranking, int[] ranks, int n) {
        long held = 0;
        for (int i = 0; i < n; i++) {
            held += segments.count(segments.segmentOf(ranking.centroids()[ranks[i]]));
        }
        return held;
    }
}
