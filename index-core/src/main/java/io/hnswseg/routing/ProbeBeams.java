package io.hnswseg.routing;

/**
 * Which segments a routed query searches, and how wide. Of the {@code nprobe} segments of its nearest
 * centroids it searches only those whose centroid lies within {@code 1 + nprobe / 20} times the distance of
 * the nearest ({@link #reaches}): a query deep inside its cell has all of its neighbours there, one near a
 * boundary has them on both sides, and the distances to the centroids tell the two apart. Counted at the
 * cheapest (nprobe, ef) reaching recall@10 0.95, this cut the code distances a query computes by 21% on
 * sift-real-1m in 16 segments (1,856 at nprobe 4, ef 64, recall 0.954, against 2,364 at 0.956), by 19% on
 * words-real in 8 (2,239 against 2,771, both 0.958-0.960) and by 29% on sift-real in 8 (948 against 1,339).
 * nprobe stays the one knob, and a larger one still reaches every segment a query may need. The rule holds
 * only for queries asking for a small share of the vectors it would pass over ({@link #HELD_PER_RESULT}).
 *
 * <p>How wide: the segment of the nearest centroid holds most
 * of a query's neighbours and the next ones fewer and fewer (on sift-real-1m with 16 partitions: 78% in the
 * nearest, 14% in the second, 5% in the third), and those few are that segment's own nearest vectors to the
 * query, which a narrow beam finds. So the nearest segment is searched with the full {@code ef} and each
 * further one with half the beam of the one before, never less than {@code k}: on that index this answered
 * 1.7x the queries/s at recall@10 0.95 of searching every probed segment with the full ef.
 *
 * <p>The reader and the build's own recall measurement both size their beams here, so the recall the
 * manifest promises is the recall of the reader's searches; but for one case: the reader completes an answer
 * short of k from further segments (replicated vectors count twice in the rows routing adds up), which the
 * build's measurement does not, so on tiny replicated partitions its claim is the lower.
 */
public final class ProbeBeams {

    private ProbeBeams() {
    }

    /** How much farther than the nearest centroid each unit of nprobe lets a probed centroid be. */
    static final double REACH_PER_PROBE = 0.05;

    /**
     * How many vectors per result the segments already chosen must hold before the reach rule may pass a further
     * one over, counting distinct vectors (a manifest's {@code distinct}: copies of a far vector spread over every
     * segment held the rule off nothing, and it cut segments a query for 1,000 needed; probe helper 62). The rule was measured for recall@10 on segments of thousands of vectors, where a query's
     * neighbours are a sliver of its cell; a query for a sizeable share of a segment (k = 1,000 of 12,500) has
     * neighbours out to the cell's far side and beyond, and the rule lost them (probe helper 40: recall@10000
     * 0.832 at nprobe 4 on sift-real in 8 segments, answers of 4 of 50 asked on an index of 120 vectors).
     */
    static final int HELD_PER_RESULT = 100;

    /**
     * Whether a routed query for {@code k} results, asked for {@code nprobe} segments, searches the segment of a
     * centroid at geometric distance {@code distance} from it (see {@link Centroids.Ranking}), the nearest being
     * at {@code nearest}, when the segments chosen before it hold {@code held} distinct vectors: when {@code distance <=
     * (1 + nprobe / 20) * nearest}, or while those segments hold fewer than {@link #HELD_PER_RESULT} vectors per
     * result. The caller stops at the first centroid (in rank order) that it does not reach, and after {@code
     * nprobe} segments unless {@link #needsMore} says the answer would be short. A query on its nearest centroid
     * ({@code nearest} 0) gives no scale to judge the others by: it reaches them all, up to nprobe (probe helper 36:
     * segments of one vector each, queries among those vectors, every query reached its own only and the build
     * measured recall 0 at every nprobe up to 8).
     */
    public static boolean reaches(int nprobe, int k, long held, double distance, double nearest) {
        return nearest <= 0 || held < (long) HELD_PER_RESULT * k || distance <= (1 + REACH_PER_PROBE * nprobe) * nearest;
    }

    /**
     * Whether a routed query for {@code k} results searches one more segment after its {@code nprobe}: when those
     * hold fewer than k vectors, so that the answer would be short of k though the index has more.
     */
    public static boolean needsMore(int k, long held) {
        return held < k;
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
