package io.hnswseg.spark;

import io.hnswseg.routing.KMeansTrainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;

/**
 * What a k-means build refuses and warns of while it plans its partitions, before any segment is built: a
 * routing it could not train or whose largest partition would not fit a task is refused; a sample too small
 * or too repetitive to balance on, and cells that came out small or over the 1.5x balance, are said in the
 * log. {@link IndexBuild} trains; this judges what it trained on and what came out.
 */
final class KMeansChecks {

    private static final Logger LOG = LoggerFactory.getLogger(KMeansChecks.class);
    /** Sampled vectors a cell needs to balance on the whole input as on the sample. */
    private static final int SAMPLE_PER_CELL = 256;

    private final BuildOptions options;
    private final int partitions;
    private final long inputRows;
    /** Spark's default parallelism, the partitions a build without {@code --partitions} starts from. */
    private final int defaultParallelism;

    KMeansChecks(BuildOptions options, int partitions, long inputRows, int defaultParallelism) {
        this.options = options;
        this.partitions = partitions;
        this.inputRows = inputRows;
        this.defaultParallelism = defaultParallelism;
    }

    /**
     * Refuses, before the input is sampled where its rows are known (a file), a k-means build it could not train
     * (review helper 65): more partitions than it trains (refused once it had run, 103 s for 47,000), or a
     * --sample-size below the partitions, which trained fewer cells and built fewer, larger segments (3 of 8, the
     * largest 4.90x the mean). An input smaller than the sample is all sampled, one centroid a vector.
     */
    void refuseUntrainable() {
        if (partitions > KMeansTrainer.MAX_CELLS) {
            throw new InvalidInputException(String.format("the input's %,d rows make %d partitions, more than the %d k-means routes:"
                    + " pass --partitions %d or fewer (with executors that hold larger segments), or --partitioner random",
                    inputRows, partitions, KMeansTrainer.MAX_CELLS, KMeansTrainer.MAX_CELLS));
        }
        if (options.sampleSize < partitions && inputRows > options.sampleSize) {
            throw new InvalidInputException(String.format("--sample-size %d is below the %d partitions%s: k-means trains a centroid"
                    + " per partition on the sample; --sample-size %d (%d a partition) balances them", options.sampleSize, partitions,
                    options.partitions != null ? "" : " chosen for this input (no --partitions: at least Spark's default parallelism,"
                            + " " + defaultParallelism + "; --partitions sets them)", (long) SAMPLE_PER_CELL * partitions,
                    SAMPLE_PER_CELL));
        }
    }

    /** Refuses a balancing table over half the driver's heap, counted for the cells and rows it will train. */
    void refuseTuningTable(int cells, int trainingRows) {
        long table = KMeansTrainer.tuningBytes(cells, trainingRows);
        long heap = Runtime.getRuntime().maxMemory();
        if (KMeansTrainer.tuningOverCap(table) && table > heap / 2) {
            // Review helper 69: partitions squared refused 20,000 partitions of 2,000 rows, whose table is 15 MB.
            throw new InvalidInputException(String.format("%d partitions: k-means balances them with a table of %,d MB on the"
                    + " driver, more than half its %,d MB heap; give the driver more memory (HNSWSEG_DRIVER_MEMORY, or"
                    + " spark.driver.memory), ask for fewer partitions, or pass --partitioner random", partitions, table >> 20, heap >> 20));
        }
    }

    /** Warns of a sample with fewer than {@link #SAMPLE_PER_CELL} vectors a cell, advising a larger one only where it helps. */
    void warnOfSample(HeavyVectors heavy, int sampleRows, int cells) {
        if (heavy.trainingCount >= (long) SAMPLE_PER_CELL * cells) {
            return;
        }
        // Probe helper 25: 31 rows a cell balanced sift-real-1m's sample to 1.15x and its 200,000 vectors to 1.54x.
        // The sampled rows that are copies of a heavy vector train once, so the advice scales by what stays.
        long advised = (long) Math.ceil((double) SAMPLE_PER_CELL * cells * sampleRows / Math.max(1, heavy.trainingCount));
        boolean copiesLeft = heavy.trainingCount < sampleRows && advised >= inputRows;
        // Advice only when a larger sample could hold more: with the whole input sampled, invalid rows made it look
        // short of the input, and the advice to raise --sample-size changed nothing (probe helper 67).
        if (!copiesLeft && inputRows > options.sampleSize) {
            LOG.warn(String.format("k-means: %,d sampled vectors for %d partitions (%d a partition): cells balanced on so few may"
                    + " be unbalanced on the whole input; %s", heavy.trainingCount, cells, heavy.trainingCount / cells,
                    advised < inputRows ? "--sample-size " + advised + " or more gives " + SAMPLE_PER_CELL + " a partition"
                            : "--sample-size " + inputRows + ", the whole input, gives " + inputRows / cells + " a partition"));
        } else if (copiesLeft) {
            // Most of the sample is copies of a few vectors: a larger sample holds more copies, not more vectors to
            // train on. It advised a sample larger than the input (probe helper 62: 25,600,000 for 500,000 rows).
            LOG.warn(String.format("k-means: %,d of the %,d sampled vectors are left once copies of frequent vectors are set"
                    + " aside, for %d partitions%s: the input repeats a few vectors, and a larger --sample-size would not give"
                    + " the cells more to balance on", heavy.trainingCount, sampleRows, partitions,
                    cells < partitions ? " (" + cells + " cells, one a vector)" : ""));
        }
    }

    /** Warns of cells under half the mean of the sample (small or empty segments) and of cells the biases left over 1.5x. */
    void warnOfCells(KMeansTrainer.Result trained) {
        int[] cellSizes = trained.sampleSizes();
        double meanCell = (double) Arrays.stream(cellSizes).sum() / cellSizes.length;
        long small = Arrays.stream(cellSizes).filter(size -> size < meanCell / 2).count();
        if (small > 0 && inputRows >= partitions) {
            // Probe helper 87: with 256 to 1,024 partitions the last segments held 0 to 13 vectors, and nothing said so.
            long empty = Arrays.stream(cellSizes).filter(size -> size == 0).count();
            LOG.warn(String.format("k-means: %d of the sample's %d cells hold less than half the mean (the smallest %.2fx%s): their"
                    + " centroids sit where the data is sparse, which the biases (never below zero) cannot fill; those segments will"
                    + " be small%s. Searches lose nothing by it; fewer --partitions give cells of more even size", small,
                    cellSizes.length, Arrays.stream(cellSizes).min().orElse(0) / meanCell, empty > 0 ? ", " + empty + " empty" : "",
                    empty > 0 ? " or missing" : ""));
        }
        if (trained.imbalance() > 1.5) {
            LOG.warn(String.format("k-means: the biases could not balance the sample's cells (largest %.2fx the mean): the data has a"
                    + " region too dense for its centroids, or vectors nearly equal; the largest segment will be about that size",
                    trained.imbalance()));
        }
    }

    /**
     * Warns when the whole sample, copies included, routed as the input will be, gives a partition over 1.5x the
     * mean ({@link Partitioning#routedImbalance}). The cells' own imbalance is judged on the rows they were trained on,
     * each frequent vector once: an input of five distinct vectors in 20 partitions filled five of them four times the
     * mean while it read 1.0 (review helper 61).
     */
    void warnIfUnbalanced(double routedImbalance, double trainedImbalance) {
        // An input of fewer rows than partitions leaves partitions empty by design (probe helper 67); fewer distinct
        // vectors than partitions is the imbalance this warns of (review helpers 61, 69).
        if (inputRows < partitions) {
            return;
        }
        // Said once: when the cells were over already, their own warning said it, unless routing adds to it. A routed
        // ratio just over 1.5 on cells just under went unsaid (review helper 65: 1.48x trained, 1.55x built).
        if (routedImbalance > 1.5 && (trainedImbalance <= 1.5 || routedImbalance > trainedImbalance + 0.1)) {
            LOG.warn(String.format("k-means: routed as the input will be (copies of frequent vectors and replicas included), the"
                    + " sample's largest partition is %.2fx the mean of %d: the input repeats some vectors, or holds a region too"
                    + " dense, for its segments to be balanced; the largest segment will be about that size", routedImbalance, partitions));
        }
    }

    /**
     * Refuses, before any segment is built, a routing whose largest partition would not fit its task: the partitions
     * were sized for the 1.5x balance, and a denser input ran a task out of memory (probe helper 78: 700,000 near-copies
     * of one vector, the sample's largest cell 14x the mean, a build that died with exit code 52).
     */
    void refuseUnfitting(double routedImbalance, MemoryPlan plan) {
        long largest = (long) Math.ceil(inputRows * routedImbalance / partitions);
        if (largest > plan.maxVectorsPerSegment()) {
            throw new InvalidInputException(String.format("k-means: routed as the input will be, the sample's largest partition is"
                            + " %.2fx the mean of %d: about %,d vectors of dimension %d, which need about %,d MB, but %s; the input repeats"
                            + " some vectors or holds a region too dense to split. Give the build more memory (in local mode"
                            + " HNSWSEG_DRIVER_MEMORY, else spark.executor.memory), or pass --partitioner random (every query then"
                            + " searches every segment)", routedImbalance, partitions, largest, plan.dimension(),
                    largest * plan.bytesPerVector() >> 20, plan.describe()));
        }
    }
}
