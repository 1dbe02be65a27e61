package io.hnswseg.spark;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a build did, as the command line prints it and the manifest's {@code summary} stores it: vectors,
 * segments, seconds (from reading the input to the committed manifest, Spark's start-up excluded),
 * vectors/s, the cost of each stage, the partitions' balance and the measured recall.
 */
public final class BuildSummary {

    private final Map<String, Object> figures;

    BuildSummary(Map<String, Object> figures) {
        this.figures = Collections.unmodifiableMap(new LinkedHashMap<>(figures));
    }

    /** Every figure by its JSON name (snake_case), in a stable order. */
    public Map<String, Object> figures() {
        return figures;
    }

    /** The vectors (input rows) indexed, exact copies included, each replicated vector once. */
    public long vectors() {
        return ((Number) figures.get("vectors")).longValue();
    }

    /** The segments written (a partition left empty has none). */
    public int segments() {
        return ((Number) figures.get("segments")).intValue();
    }

    /** Seconds from reading the input to the committed manifest, Spark's start-up excluded. */
    public double seconds() {
        return ((Number) figures.get("seconds")).doubleValue();
    }

    /** {@link #vectors()} over {@link #seconds()}, rounded. */
    public double vectorsPerSecond() {
        return ((Number) figures.get("vectors_per_second")).doubleValue();
    }

    /**
     * recall@10 the build measured at the readers' default nprobe and ef (see {@link #targetRecallReached()}),
     * or NaN when it measured none ({@code evalQueries(0)}).
     */
    public double recallAt10() {
        Object recall = figures.get("recall_at_10");
        return recall == null ? Double.NaN : ((Number) recall).doubleValue();
    }

    /** Whether a measured setting reached the target recall; false when none was measured. */
    public boolean targetRecallReached() {
        return Boolean.TRUE.equals(figures.get("target_recall_reached"));
    }

    /** Where the index was committed. */
    public String output() {
        return String.valueOf(figures.get("output"));
    }

    @Override
    public String toString() {
        return figures.toString();
    }
}
