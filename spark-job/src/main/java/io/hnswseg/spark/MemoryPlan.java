package io.hnswseg.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * How many vectors one build task can hold: its share of an executor's heap (in local mode, the driver's)
 * divided by a documented estimate of the bytes a vector costs while its segment is built, and within
 * the limit of the graph's layer-0 link array (2^31 ints: 65 million vectors at M=16). Vectors and codes
 * are held in pages, so the dimension sets no limit of its own.
 *
 * <p>Bytes per vector while building, {@code d} its dimension and {@code M} the links per node: the float
 * vector ({@code 4d}) and its received copy before it is added ({@code 4d}), int8 codes ({@code d}),
 * layer-0 links and their distances during the build ({@code 4(2M + 1) + 8M}), the table that finds exact
 * copies before insertion (up to 4 ints, {@code 16}), id, level, upper layers and per-thread search state
 * ({@code ~48}). About 1.4 KB at 128-d, 9.3 KB at 1,024-d, 28 KB at 3,072-d.
 */
final class MemoryPlan {

    /** What Spark reserves of every executor heap for itself. */
    private static final long RESERVED = 300L << 20;
    /** Part of the rest that the build's arrays may take; the remainder covers Spark, shuffle buffers and garbage. */
    private static final double USABLE = 0.6;
    /** Elements one Java array holds. */
    private static final long ARRAY_LIMIT = Integer.MAX_VALUE - 16;

    private final long heapBytes;
    private final int tasksPerExecutor;
    /** Ints per node of the layer-0 link array, {@code 2M + 1}. */
    private final int layer0Ints;
    private final int dimension;
    private final long bytesPerVector;

    private MemoryPlan(long heapBytes, int tasksPerExecutor, int layer0Ints, int dimension, long bytesPerVector) {
        this.heapBytes = heapBytes;
        this.tasksPerExecutor = tasksPerExecutor;
        this.layer0Ints = layer0Ints;
        this.dimension = dimension;
        this.bytesPerVector = bytesPerVector;
    }

    static MemoryPlan of(SparkSession spark, BuildOptions options, int dimension) {
        SparkConf conf = spark.sparkContext().getConf();
        boolean local = spark.sparkContext().isLocal();
        long heap = local ? Runtime.getRuntime().maxMemory() : conf.getSizeAsBytes("spark.executor.memory", "1g");
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        int cores = local ? spark.sparkContext().defaultParallelism() : conf.getInt("spark.executor.cores", 1);
        int tasks = Math.max(1, cores / Math.max(1, taskCpus));
        if (options.partitions != null) {
            // No more build tasks run at once than there are partitions (probe helper 78: --partitions 1 was refused for
            // a heap that two tasks would share).
            tasks = Math.min(tasks, options.partitions);
        }
        return new MemoryPlan(heap, tasks, 2 * options.m + 1, dimension, bytesPerVector(dimension, options.m));
    }

    static long bytesPerVector(int dimension, int m) {
        return 9L * dimension + 4L * (2 * m + 1) + 8L * m + 16 + 48;
    }

    /** The vectors' dimension the plan is for. */
    int dimension() {
        return dimension;
    }

    long bytesPerVector() {
        return bytesPerVector;
    }

    long maxVectorsPerSegment() {
        long share = (long) (Math.max(0, heapBytes - RESERVED) * USABLE / tasksPerExecutor);
        return Math.max(1, Math.min(share / bytesPerVector, ARRAY_LIMIT / layer0Ints));
    }

    String describe() {
        return String.format("each of the %d concurrent build task(s) of an executor with a %,d MB heap can hold about %,d MB "
                + "(%,d vectors)", tasksPerExecutor, heapBytes >> 20, (long) (Math.max(0, heapBytes - RESERVED) * USABLE / tasksPerExecutor) >> 20,
                maxVectorsPerSegment());
    }
}
