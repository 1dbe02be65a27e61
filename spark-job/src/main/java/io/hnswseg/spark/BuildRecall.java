package io.hnswseg.spark;

import io.hnswseg.manifest.IndexManifest;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The recall a build claims for itself: the tasks' measurements merged into the (nprobe, ef) grid, a second pass over
 * every segment when no routed point reaches the target, what the figures rest on said in the log, and
 * {@code --require-recall} enforced before anything is committed.
 */
final class BuildRecall {

    private static final Logger LOG = LoggerFactory.getLogger(BuildRecall.class);
    /** Fewer measuring queries than this and the build says its recall is rough. */
    private static final int FEW_EVAL_QUERIES = 500;
    /** How far recall counting ties may exceed recall by ids before the build says why. */
    private static final double TIES_WORTH_SAYING = 0.01;

    private final JavaSparkContext jsc;
    private final BuildOptions options;
    private final BuildStages stages;

    BuildRecall(JavaSparkContext jsc, BuildOptions options, BuildStages stages) {
        this.jsc = jsc;
        this.options = options;
        this.stages = stages;
    }

    /**
     * Merges the tasks' recall measurements into the grid, with the second pass over every segment when no
     * routed point reaches the target. With --require-recall and the target missed, removes this run's files
     * and fails: nothing committed.
     */
    IndexManifest.Quality measure(Evaluation evaluation, Partitioning partitioning, List<SegmentResult> built, JobConfig config,
                                  IndexCommit commit) throws IOException {
        long evalStart = System.nanoTime();
        double routingMicros = partitioning.routed() ? routingMicros(partitioning, evaluation) : 0;
        List<Evaluation.Partial> partials = built.stream().map(r -> r.evaluation).collect(Collectors.toList());
        IndexManifest.Quality quality = evaluation.merge(partials, options.targetRecall, routingMicros, config.metricValue());
        stages.put("recall_merge_seconds", BuildStages.round((System.nanoTime() - evalStart) / 1e9));
        if (!quality.reached() && partitioning.routed()) {
            LOG.info(String.format("recall@10: no routed setting reaches %s (best %s); measuring every segment with the full beam "
                    + "(nprobe 0)", options.targetRecall, describe(GridChoice.best(quality.grid()))));
            try {
                Map<String, String> settings = IndexBuild.settings(jsc.hadoopConfiguration());
                quality = stages.timed("recall_every_segment", () -> evaluation.merge(partials,
                        EverySegmentPass.run(jsc, evaluation, config, built, settings), options.targetRecall, routingMicros,
                        config.metricValue()));
            } catch (Exception e) {
                // A Spark job's failure is a checked SparkException. The pass only measures: the index is whole,
                // and the routed grid stands (--require-recall still applies). But a build being stopped stops.
                if (e instanceof InterruptedException || jsc.sc().isStopped()) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    throw new IOException("build stopped while measuring recall over every segment: nothing committed", e);
                }
                String why = SessionOptions.explain(e);
                stages.put("recall_every_segment", "failed: " + why);
                LOG.warn("recall@10: could not measure every segment, keeping the routed grid: " + why);
            }
        }
        IndexManifest.GridPoint bestPoint = GridChoice.best(quality.grid());
        String best = describe(bestPoint);
        // A best point measured above the target but not clear of it by the sample's margin: said, or "does NOT reach 0.95,
        // best 0.9550" contradicted itself (review helper 85).
        String withinMargin = quality.reached() || bestPoint.recallAt10() < options.targetRecall ? ""
                : String.format("; measured above it, but not by %.3g standard errors of the estimate over these %d queries"
                        + " (more --eval-queries measure it closer)", GridChoice.CONFIDENCE_Z, quality.queries());
        LOG.info(String.format("recall@10 measured on %d queries: %s target %s%s; default %s%s", quality.queries(),
                quality.reached() ? "reaches" : "does NOT reach", options.targetRecall, withinMargin, describe(quality.defaults()),
                quality.reached() ? "" : " (the cheapest within " + GridChoice.NEAR_BEST + " of the best, " + best + ")"));
        if (quality.queries() < FEW_EVAL_QUERIES) {
            // Probe helper 45: one query "reached" the target at recall 1.0 without a word.
            // A small input gives no more queries than it has rows to sample (a 50-vector build was told --eval-queries 1000).
            boolean inputTooSmall = options.evalQueriesFile == null && quality.queries() < options.evalQueries;
            LOG.warn(String.format("recall@10 rests on %d queries only, each 1/%d of it: the readers' default was chosen with a margin"
                    + " for that (its recall less %.3g standard errors reaches the target), so it may search more than it needs to, and"
                    + " its figure is rough; %s", quality.queries(), quality.queries(), GridChoice.CONFIDENCE_Z, inputTooSmall
                    ? "the input's sample held no more distinct vectors than that, so --eval-queries-file with 1000 or more queries like "
                    + "the data measures it closely" : "--eval-queries 1000 or more measures it closely"));
        }
        IndexManifest.GridPoint chosen = quality.defaults();
        if (chosen.recallAt10ByIds() != null && chosen.recallAt10() - chosen.recallAt10ByIds() >= TIES_WORTH_SAYING) {
            LOG.warn(String.format("recall@10 at the default counts %.4f, by ids alone %.4f: the rest are answers as near as the"
                    + " 10th true neighbour to within float32 rounding. Right answers when the input holds exact copies or equal"
                    + " distances (integer data); otherwise its neighbours lie closer together than float32 distances resolve (for"
                    + " cosine and ip, 1 - x.q steps by 6e-8 near 1, and by more where the sampled rows' dot products are large: ip"
                    + " vectors with a constant component appended, say). Queries unlike the input's rows may rank finer and need"
                    + " another setting: --eval-queries-file with the queries the index will serve measures them", chosen.recallAt10(),
                    chosen.recallAt10ByIds()));
        }
        if (!quality.reached() && options.requireRecall) {
            commit.abandon(config.runId);
            throw new InvalidInputException(String.format("no measured setting reaches recall@10 %s (best %s%s) and --require-recall is set: "
                    + "nothing committed, this build's files removed", options.targetRecall, best, withinMargin));
        }
        return quality;
    }

    private static String describe(IndexManifest.GridPoint p) {
        return String.format("%.4f at nprobe %s, ef %d", p.recallAt10(), p.nprobe() == 0 ? "all" : String.valueOf(p.nprobe()), p.ef());
    }

    /** Mean time to rank the centroids for one query, as a reader does before searching. */
    private static double routingMicros(Partitioning partitioning, Evaluation evaluation) {
        int n = Math.min(evaluation.queries, 200);
        float[] q = new float[evaluation.dimension];
        long start = System.nanoTime();
        for (int rep = 0; rep < 3; rep++) {
            for (int i = 0; i < n; i++) {
                System.arraycopy(evaluation.vectors, i * evaluation.dimension, q, 0, evaluation.dimension);
                partitioning.centroids().nearest(q, partitioning.partitions);
            }
        }
        return (System.nanoTime() - start) / 1e3 / Math.max(1, 3 * n);
    }
}
