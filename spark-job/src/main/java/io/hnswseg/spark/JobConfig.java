package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;

import org.apache.hadoop.fs.Path;

import java.io.Serializable;

/**
 * What every task needs to know, shipped with the tasks. A plain class, not a record: Kryo 4 (Spark's)
 * cannot set the final fields of a record.
 */
final class JobConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    String input;
    String output;
    String idColumn;
    String metric;
    int m;
    int efConstruction;
    long seed;
    /** Segments without int8 codes. */
    boolean floatOnly;
    int threadsPerTask;
    int dimension;
    /** Segments to build. */
    int partitions;
    /** Reduce partitions {@code [0, idCheckPartitions)} check ids for duplicates; segments follow them. */
    int idCheckPartitions;
    /** Per partition, the CRC32C of its centroid (-1: none) for its segment's header; null when partitioned at random. */
    long[] centroidCrc32cs;
    /** Per partition, its centroid's bias (NaN: none) for its segment's header; null when partitioned at random. */
    float[] centroidBiases;
    /** Distinguishes this run's segment files from those of any earlier run at the same output. */
    String runId;
    boolean skipInvalid;
    /** Test hook: the first attempt of every task fails after writing its file, so retries are exercised. */
    boolean failFirstAttempts;
    /** Test hook: a fault of {@link TestFaults} to inject (null: none). */
    String testFault;

    HnswParams params() {
        return new HnswParams(m, efConstruction, seed, Metric.parse(metric), !floatOnly);
    }

    /** What partition {@code partition}'s segment records as its centroid's CRC32C: -1 for none. */
    long centroidCrc32c(int partition) {
        return centroidCrc32cs == null ? -1 : centroidCrc32cs[partition];
    }

    /** What partition {@code partition}'s segment records as its centroid's bias: NaN for none. */
    float centroidBias(int partition) {
        return centroidBiases == null ? Float.NaN : centroidBiases[partition];
    }

    Metric metricValue() {
        return Metric.parse(metric);
    }

    /**
     * The index's directory as the driver qualified it. A task refuses a relative one: on a cluster it meant each
     * executor's own working directory, so segments went where the driver never looked (probe helper 93).
     */
    Path outputRoot() {
        Path root = new Path(output);
        if (root.toUri().getScheme() == null) {
            throw new IllegalStateException("the output " + output + " reached a task unqualified");
        }
        return root;
    }
}
