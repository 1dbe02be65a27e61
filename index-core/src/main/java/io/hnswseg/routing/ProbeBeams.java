package io.hnswseg.routing;

/**
 * How wide a routed query searches each segment it probes. The segment of the nearest centroid holds most
 * of a query's neighbours and the next ones fewer and fewer (on sift-real-1m with 16 partitions: 78% in the
 * nearest, 14% in the second, 5% in the third), and those few are that segment's own nearest vectors to the
 * query, which a narrow beam finds. So the nearest segment is searched with the full {@code ef} and each
 * further one with half the beam of the one before, never less than {@code k}: on that index this answered
 * 1.7x the queries/s at recall@10 0.95 of searching every probed segment with the full ef.
 *
 * <p>The reader and the build's own recall measurement both size their beams here, so the recall the
 * manifest promises is the recall of the reader's searches.
 */
public final class ProbeBeams {

    private ProbeBeams() {
    }

    /**
     * The beam width for the segment of the {@code rank}-th nearest centroid (0 = nearest) of a routed
     * query asked for {@code k} results with beam width {@code ef}.
     */
    public static int ef(int ef, int k, int rank) {
        if (rank < 0) {
            throw new IllegalArgumentException("rank must be >= 0, got " + rank);
        }
        return rank >= Integer.SIZE - 1 ? k : Math.max(k, ef >> rank);
    }
}
