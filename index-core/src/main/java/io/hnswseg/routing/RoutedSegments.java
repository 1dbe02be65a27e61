package io.hnswseg.routing;

/**
 * The segments of a routed index as routing sees them: per centroid its segment, per segment how many vectors it
 * holds. Chooses the segments a query searches by the rules of {@link ProbeBeams}. The reader routes its queries
 * here and the build's recall measurement predicts them here, so that the recall a manifest promises is measured
 * on the segments the reader will search.
 */
public final class RoutedSegments {

    /** Per centroid, the segment of its partition, or -1 when the partition came out empty. */
    private final int[] segmentOf;
    /** Per segment, its vectors, copies included: what an answer can be filled from. */
    private final long[] counts;
    /**
     * Per segment, its vectors that are not copies of another: what the reach rule's guard counts. Copies of a far
     * vector in every segment made each look four times its size, and the guard let the rule cut after one segment
     * (probe helper 62: recall@1000 0.952 at any nprobe but 0, 1.000 at 0).
     */
    private final long[] distinct;

    /**
     * @param segmentOf per centroid, the index of its segment in {@code counts}, or -1
     * @param counts    per segment, its vectors (copies included)
     * @param distinct  per segment, its distinct vectors
     */
    public RoutedSegments(int[] segmentOf, long[] counts, long[] distinct) {
        if (counts.length != distinct.length) {
            throw new IllegalArgumentException(counts.length + " counts for " + distinct.length + " distinct counts");
        }
        this.segmentOf = segmentOf;
        this.counts = counts;
        this.distinct = distinct;
    }

    /** The segment of centroid {@code c}'s partition, or -1. */
    public int segmentOf(int c) {
        return segmentOf[c];
    }

    /** The vectors of segment {@code s}, copies included. */
    public long count(int s) {
        return counts[s];
    }

    /**
     * The ranks (0 = nearest centroid) whose segments a query for {@code k} results, asked for {@code nprobe}
     * segments, searches, nearest first: the first rank with a segment always (even after empty partitions), then
     * each next one while its centroid {@link ProbeBeams#reaches}, up to {@code nprobe} segments or further while
     * those chosen would answer short of k ({@link ProbeBeams#needsMore}). A rank whose partition is empty is passed
     * over but still counted: beams are sized by rank ({@link ProbeBeams#ef}).
     *
     * @param order     the query's centroids by rank, from {@code offset} ({@link Centroids.Ranking#centroids})
     * @param distances their geometric distances to the query, from {@code offset} ({@link Centroids.Ranking#distances})
     * @param ranked    how many ranks follow {@code offset}
     * @param limit     at most this many segments
     * @param ranks     receives the chosen ranks
     * @return how many ranks were chosen
     */
    public int choose(int nprobe, int k, int[] order, double[] distances, int offset, int ranked, int limit, int[] ranks) {
        double nearest = distances[offset];
        int n = 0;
        long held = 0;
        long heldDistinct = 0;
        for (int rank = 0; rank < ranked && n < limit; rank++) {
            if (n >= nprobe && !ProbeBeams.needsMore(k, held)
                    || n > 0 && !ProbeBeams.reaches(nprobe, k, heldDistinct, distances[offset + rank], nearest)) {
                break;
            }
            int s = segmentOf[order[offset + rank]];
            if (s >= 0) {
                ranks[n++] = rank;
                held += counts[s];
                heldDistinct += distinct[s];
            }
        }
        return n;
    }
}
