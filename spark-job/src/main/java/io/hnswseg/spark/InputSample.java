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
        int wanted = Sample.maxRows(options.sampleRows(), vecs.dimension);
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
     * reservoir of its rows, twice its even share of the sample, and the driver takes from each split the same
     * fraction of the rows it read. When the splits differ so much in size that a large one's reservoir holds too
     * few for that (probe helper 43: a union of one split of 50,000 rows with 199 of 250 gave 1,026 of the large
     * one's rows in a sample of 51,026, and a segment of 2.0x the mean), a second pass draws each split's share,
     * now that the sizes are known.
     */
    static Sample ofTable(TableInput table, String input, BuildOptions options) {
        int wanted = options.sampleRows();
        JavaRDD<org.apache.spark.sql.catalyst.InternalRow> internal = table.internalRows(table.table);
        int tasks = Math.max(1, internal.getNumPartitions());
        int[] capacities = new int[tasks];
        java.util.Arrays.fill(capacities, (int) Math.min(wanted, 2L * wanted / tasks + 16));
        long[] maxFloats = new long[tasks];
        java.util.Arrays.fill(maxFloats, Math.max(1, 2 * Sample.MAX_FLOATS / tasks));
        List<Sample.Part> reservoirs = reservoirs(table, internal, capacities, maxFloats, options.seed);
        long total = reservoirs.stream().mapToLong(p -> p.rowsRead).sum();
        if (total == 0) {
            throw new InvalidInputException("input " + input + " has no rows");
        }
        // The fraction of every split's rows the reservoirs allow (the smallest kept / read), against the sample's.
        double wantedRate = Math.min(1, (double) wanted / total);
        double rate = wantedRate;
        long kept = 0;
        for (Sample.Part p : reservoirs) {
            kept += p.ids.length;
            if (p.rowsRead > p.ids.length) {
                rate = Math.min(rate, (double) p.ids.length / p.rowsRead);
            }
        }
        long target = Math.min(wanted, kept);
        int passes = 1;
        if (rate * total < 0.5 * target) {
            double secondRate = (double) target / total;
            LOG.info(String.format("sample: input splits of uneven sizes (the largest %,d rows of %,d): a second pass draws each one's"
                    + " share", reservoirs.stream().mapToLong(p -> p.rowsRead).max().orElse(0), total));
            reservoirs = shares(table, internal, reservoirs, secondRate, options.seed + 1, input);
            // Each split now holds its share; one its float cap or a long first vector held to fewer gives what it has,
            // rather than cutting every split's share to its fraction.
            rate = Math.min(wantedRate, secondRate);
            passes = 2;
        }
        // Rounded at random, not up: a row from every small split would weigh many small splits above their rows.
        java.util.SplittableRandom rounding = new java.util.SplittableRandom(options.seed);
        List<Sample.Part> parts = new ArrayList<>();
        for (int t = 0; t < reservoirs.size(); t++) {
            Sample.Part p = reservoirs.get(t);
            double exact = rate * p.rowsRead;
            int keep = (int) Math.floor(exact) + (rounding.nextDouble() < exact - Math.floor(exact) ? 1 : 0);
            parts.add(p.thin(keep, options.seed + t));
        }
        Sample sample = Sample.of(parts, options.dimension, options.metricValue(), options.sampleSize, options.evalQueries, options.seed,
                input + " (column " + table.vectorColumn + ")");
        LOG.info(String.format("sample: %,d of %,d rows, %s over %d input splits", sample.seen, total, passes == 1 ? "one pass" : "two passes",
                tasks));
        if (sample.unusable > 0) {
            LOG.info(String.format("sample: %,d of %,d sampled rows have no usable vector of dimension %d (they are named when the build "
                    + "reaches them)", sample.unusable, sample.seen, sample.dimension));
        }
        return sample;
    }

    /**
     * The second pass: each split's reservoir of {@code rate} of the rows the first pass counted in it, its floats in
     * proportion; the read must give the rows the first did.
     */
    private static List<Sample.Part> shares(TableInput table, JavaRDD<org.apache.spark.sql.catalyst.InternalRow> internal,
                                            List<Sample.Part> first, double rate, long seed, String input) {
        long total = first.stream().mapToLong(p -> p.rowsRead).sum();
        int[] capacities = new int[first.size()];
        long[] maxFloats = new long[first.size()];
        for (int t = 0; t < capacities.length; t++) {
            long rows = first.get(t).rowsRead;
            capacities[t] = (int) Math.min(rows, (long) Math.ceil(rate * rows));
            // As many floats in all as the first pass could hold.
            maxFloats[t] = Math.max(1, (long) Math.ceil(2.0 * Sample.MAX_FLOATS * rows / total));
        }
        List<Sample.Part> again = reservoirs(table, internal, capacities, maxFloats, seed);
        requireSameRows(input, total, first.stream().mapToLong(p -> p.rowFingerprint).sum(),
                again.stream().mapToLong(p -> p.rowsRead).sum(), again.stream().mapToLong(p -> p.rowFingerprint).sum());
        return again;
    }

    /** Each split's uniform reservoir of up to {@code capacities[split]} rows (and {@code maxFloats[split]} floats). */
    private static List<Sample.Part> reservoirs(TableInput table, JavaRDD<org.apache.spark.sql.catalyst.InternalRow> internal, int[] capacities,
                                                long[] maxFloats, long seed) {
        String idColumn = table.idColumn;
        String vectorLabel = table.vectorLabel;
        return internal
                .mapPartitionsWithIndex((split, it) -> List.of(Sample.Part.reservoir(TableInput.rows(it, idColumn, vectorLabel), capacities[split],
                        maxFloats[split], Sample.taskSeed(seed, split))).iterator(), false)
                .collect();
    }

    /**
     * Fails when a later read of a table gave other rows than the first (its row count or {@link Sample#fingerprint}
     * of ids and vectors differ): a Dataset computed anew on each read, and differently, would be indexed from one read
     * and measured against another's queries and count (probe helper 43).
     */
    static void requireSameRows(String input, long firstRows, long firstFingerprint, long thenRows, long thenFingerprint) {
        if (thenRows == firstRows && thenFingerprint == firstFingerprint) {
            return;
        }
        throw new InvalidInputException(String.format("input %s gave other rows to the build's second read of it than to its"
                + " first (%,d rows, then %,d%s): %s", input, firstRows, thenRows, thenRows == firstRows ? " with other ids or vectors" : "",
                COMPUTED_ANEW));
    }

    /** Why a table's reads differ, and what to do. */
    static final String COMPUTED_ANEW = "it is computed anew on each read, and differently (ids, vectors or rows from a"
            + " nondeterministic function, a source that changed); persist it (Dataset.persist()) or write it out and build"
            + " from that. Nothing was committed";
}
