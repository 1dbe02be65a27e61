package io.hnswseg.spark;

import io.hnswseg.manifest.IndexManifest;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Which point of a build's measured grid the readers get by default, and the points its messages name: decisions the
 * driver makes on the merged figures ({@link Evaluation#merge}), apart from the measuring itself.
 */
final class GridChoice {

    private GridChoice() {
    }

    /** The readers' default and whether it reaches the target. */
    record Choice(IndexManifest.GridPoint point, boolean reached) {
    }

    /**
     * The cheapest point (by bytes scored per query) whose recall, less {@link #CONFIDENCE_Z} standard errors of its
     * estimate ({@code standardErrors}, keyed {@code "nprobe/ef"}), reaches the target; when none does, the cheapest
     * within {@link #NEAR_BEST} of the best recall measured.
     */
    static Choice choose(List<IndexManifest.GridPoint> grid, Map<String, Double> standardErrors, double targetRecall) {
        Comparator<IndexManifest.GridPoint> cheaper = Comparator.comparingLong(IndexManifest.GridPoint::bytesScoredPerQuery)
                .thenComparingInt(g -> g.nprobe() == 0 ? Integer.MAX_VALUE : g.nprobe()) // fewer segments (0: every one)
                .thenComparingInt(IndexManifest.GridPoint::ef);
        // A margin for the sample: of many points, the cheapest whose estimate reaches the target is the one most likely
        // to have been lucky (probe helper 82: 50 queries claimed 0.904 at nprobe 8 where queries like the data found
        // 0.8725, and said the 0.9 target reached).
        ToDoubleFunction<IndexManifest.GridPoint> assured = g -> g.recallAt10()
                - CONFIDENCE_Z * standardErrors.getOrDefault(g.nprobe() + "/" + g.ef(), 0.0);
        IndexManifest.GridPoint best = grid.stream().filter(g -> assured.applyAsDouble(g) >= targetRecall).min(cheaper).orElse(null);
        if (best != null) {
            return new Choice(best, true);
        }
        // Short of the target: the cheapest point within NEAR_BEST of the best recall, not the very best one, which is
        // often a search of every segment at the widest beam for a last few thousandths.
        double top = grid.stream().mapToDouble(IndexManifest.GridPoint::recallAt10).max().orElseThrow();
        return new Choice(grid.stream().filter(g -> g.recallAt10() >= top - NEAR_BEST).min(cheaper).orElseThrow(), false);
    }

    /** The point of best recall (the cheaper of equals): what a missed target's messages name. */
    static IndexManifest.GridPoint best(List<IndexManifest.GridPoint> grid) {
        return grid.stream().max(Comparator.comparingDouble(IndexManifest.GridPoint::recallAt10)
                .thenComparing(Comparator.comparingLong(IndexManifest.GridPoint::bytesScoredPerQuery).reversed())).orElseThrow();
    }

    /** {@link #best} of the points that route (nprobe above 0); null when none does (an index partitioned at random). */
    static IndexManifest.GridPoint bestRouted(List<IndexManifest.GridPoint> grid) {
        List<IndexManifest.GridPoint> routed = grid.stream().filter(g -> g.nprobe() > 0).toList();
        return routed.isEmpty() ? null : best(routed);
    }

    /** How far below the best measured recall a missed target's default may be, to be cheaper. */
    static final double NEAR_BEST = 0.005;

    /**
     * Standard errors of its recall estimate a point must clear the target by to reach it (one-sided 95%): over 1,000
     * sampled queries at recall@10 0.95 about 0.005, over 50 about 0.02.
     */
    static final double CONFIDENCE_Z = 1.645;
}
