package io.hnswseg.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Draws a build's {@link Sample} from its input with one Spark pass over it: the rows the k-means centroids
 * are trained on and the build's own evaluation queries are taken from there. Uniform over the whole input
 * either way; the driver receives only the tasks' reservoirs.
 */
final class InputSample {

    private static final Logger LOG = LoggerFactory.getLogger(InputSample.class);

    private InputSample() {
    }

    /** The sample of an fvecs/bvecs file, read by at least one task per core (or per partition), each over its row range. */
    static Sample ofVecs(JavaSparkContext jsc, VecsInput vecs, int partitions, BuildOptions options, Map<String, String> settings) {
        int wanted = Sample.maxRows(options.sampleSize + options.evalQueries, vecs.dimension);
        int tasks = (int) Math.min(Math.max(jsc.defaultParallelism(), partitions), Math.max(1, vecs.rows / 1000));
        List<Sample.Part> parts = vecsRows(jsc, vecs, tasks, wanted, options.seed, settings);
        Sample sample = Sample.of(parts, vecs.dimension, options.metricValue(), options.sampleSize, options.evalQueries, options.seed, vecs.uri);
        LOG.info(String.format("sample: %,d of %,d rows, uniform over %d tasks' row ranges", sample.seen, vecs.rows, tasks));
        return sample;
    }

    /**
     * A uniform random sample of {@code wanted} of the file's rows (fewer when it holds fewer): each of
     * {@code tasks} tasks reads its range of rows once and keeps a reservoir of its share. Contiguous runs of
     * rows (fewer reads) made a clustered sample wherever neighbouring rows are alike (SIFT's come image by
     * image), and k-means centroids trained on it routed worse: on sift-real-1m in 16 segments, recall@10
     * 0.003-0.005 lower at every (nprobe, ef) of the grid (docs/performance.md).
     */
    static List<Sample.Part> vecsRows(JavaSparkContext jsc, VecsInput vecs, int tasks, int wanted, long seed,
                                      Map<String, String> settings) {
        long rows = vecs.rows;
        return jsc.parallelize(IntStream.range(0, tasks).boxed().collect(Collectors.toList()), tasks)
                .map(t -> {
                    long first = rows * t / tasks;
                    long span = rows * (t + 1) / tasks - first;
                    int share = (int) Math.min(span, ((long) wanted + tasks - 1) / tasks);
                    return Sample.Part.reservoir(vecs.rows(first, span, IndexBuild.conf(settings)), share, Sample.MAX_FLOATS,
                            Sample.taskSeed(seed, t));
                })
                .collect();
    }

    /**
     * The sample of a table, whose pass also counts it ({@link Sample#rowsRead}): each task keeps a uniform
     * reservoir of its rows, twice its even share of the sample, and the driver takes from each reservoir in
     * proportion to the rows its task read.
     */
    static Sample ofTable(TableInput table, String input, BuildOptions options) {
        int wanted = options.sampleSize + options.evalQueries;
        JavaRDD<org.apache.spark.sql.catalyst.InternalRow> internal = table.internalRows(table.table);
        int tasks = Math.max(1, internal.getNumPartitions());
        int capacity = (int) Math.min(wanted, 2L * wanted / tasks + 16);
        long maxFloats = Math.max(1, 2 * Sample.MAX_FLOATS / tasks);
        String idColumn = table.idColumn;
        String vectorLabel = table.vectorLabel;
        long seed = options.seed;
        List<Sample.Part> reservoirs = internal
                .mapPartitionsWithIndex((split, it) -> List.of(Sample.Part.reservoir(TableInput.rows(it, idColumn, vectorLabel), capacity,
                        maxFloats, Sample.taskSeed(seed, split))).iterator(), false)
                .collect();
        long total = reservoirs.stream().mapToLong(p -> p.rowsRead).sum();
        if (total == 0) {
            throw new InvalidInputException("input " + input + " has no rows");
        }
        List<Sample.Part> parts = new ArrayList<>();
        for (int t = 0; t < reservoirs.size(); t++) {
            Sample.Part p = reservoirs.get(t);
            int share = (int) Math.ceil((double) wanted * p.rowsRead / total);
            parts.add(p.thin(share, seed + t));
        }
        Sample sample = Sample.of(parts, options.dimension, options.metricValue(), options.sampleSize, options.evalQueries, options.seed,
                input + " (column " + table.vectorColumn + ")");
        LOG.info(String.format("sample: %,d of %,d rows, one pass over %d input splits", sample.seen, total, tasks));
        if (sample.unusable > 0) {
            LOG.info(String.format("sample: %,d of %,d sampled rows have no usable vector of dimension %d (they are named when the build "
                    + "reaches them)", sample.unusable, sample.seen, sample.dimension));
        }
        return sample;
    }
}
