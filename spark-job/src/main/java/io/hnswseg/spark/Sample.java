package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.io.FloatMatrix;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Rows sampled from the input, on the driver: they fix the dimension of a table (the most common vector
 * length, so one malformed row cannot), train the k-means centroids, and supply the queries the build
 * measures its recall with. Holds only the sample, never the input.
 */
final class Sample {

    /** Floats of sampled vectors the driver holds at most (256 MB): 100,000 at 128-d, 21,845 at 3,072-d. */
    static final long MAX_FLOATS = 64L << 20;

    /** The seed of sampling task {@code task}: tasks of one build draw independent rows from one build seed. */
    static long taskSeed(long seed, int task) {
        return seed ^ (0x9E3779B97F4A7C15L * (task + 1));
    }

    /** Rows a sample of vectors of {@code dimension} may hold, within {@link #MAX_FLOATS}. */
    static int maxRows(int wanted, int dimension) {
        return (int) Math.max(1, Math.min(wanted, MAX_FLOATS / Math.max(1, dimension)));
    }

    /** What one task sampled: its rows' ids, lengths and vectors (null where a row has no usable vector). */
    static final class Part implements Serializable {
        private static final long serialVersionUID = 1L;
        long[] ids;
        int[] lengths;
        float[][] vectors;
        /** Rows the task read to take this part (all of them for a reservoir). */
        long rowsRead;
        /** {@link #fingerprint} of the rows read. */
        long rowFingerprint;

        Part() {
        }

        /**
         * Reads all of {@code rows} and keeps a uniform random sample of up to {@code capacity} of them
         * (reservoir sampling), so one pass both counts a task's rows and samples them; fewer when their
         * vectors would take more than {@code maxFloats}.
         */
        static Part reservoir(RowSource rows, int capacity, long maxFloats, long seed) throws IOException {
            long[] ids = new long[capacity];
            int[] lengths = new int[capacity];
            float[][] vectors = new float[capacity][];
            SplittableRandom random = new SplittableRandom(seed);
            long read = 0;
            long rowFingerprint = 0;
            try (rows) {
                boolean sized = false;
                while (rows.next()) {
                    if (!sized && rows.length() > 0) {
                        // The first vector tells the dimension: hold at most maxFloats of them.
                        capacity = (int) Math.min(capacity, Math.max(1, maxFloats / rows.length()));
                        sized = true;
                    }
                    long slot = read < capacity ? read : random.nextLong(read + 1);
                    read++;
                    rowFingerprint += fingerprint(rows);
                    if (slot < capacity) {
                        int i = (int) slot;
                        ids[i] = rows.id();
                        lengths[i] = rows.length();
                        float[] v = rows.problem() == null ? rows.vector() : null;
                        vectors[i] = v == null ? null : v.clone();
                    }
                }
            }
            int kept = (int) Math.min(read, capacity);
            Part p = new Part();
            p.ids = Arrays.copyOf(ids, kept);
            p.lengths = Arrays.copyOf(lengths, kept);
            p.vectors = Arrays.copyOf(vectors, kept);
            p.rowsRead = read;
            p.rowFingerprint = rowFingerprint;
            return p;
        }

        /** A uniform random {@code keep} of this part's rows (all of them when it holds fewer). */
        Part thin(int keep, long seed) {
            if (keep >= ids.length) {
                return this;
            }
            int[] order = java.util.stream.IntStream.range(0, ids.length).toArray();
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 0; i < keep; i++) {
                int j = i + random.nextInt(order.length - i);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            Part p = new Part();
            p.ids = new long[keep];
            p.lengths = new int[keep];
            p.vectors = new float[keep][];
            for (int i = 0; i < keep; i++) {
                p.ids[i] = ids[order[i]];
                p.lengths[i] = lengths[order[i]];
                p.vectors[i] = vectors[order[i]];
            }
            p.rowsRead = rowsRead;
            p.rowFingerprint = rowFingerprint;
            return p;
        }
    }

    /**
     * One row's share of a read's fingerprint, from its id and the bits of its vector's {@code length} components
     * ({@code vector} null for a row whose vector is unusable as read, {@link RowSource#problem}). The sum of the rows'
     * shares, wrapping, is the same in any order and any split into parts, so two reads of a table that gave the same
     * rows give the same sum, and others almost never do: not only other ids but the same ids with other vectors (a
     * random UDF in the vectors' column), which would be indexed from one read and measured against the other's.
     */
    static long fingerprint(long id, float[] vector, int length) {
        long h = id ^ 0x2545F4914F6CDD1DL;
        if (vector != null) {
            for (int i = 0; i < length; i++) {
                h = (h ^ Float.floatToRawIntBits(vector[i])) * 0x9E3779B97F4A7C15L;
            }
        }
        return Partitioning.mix(h);
    }

    /** {@link #fingerprint(long, float[], int)} of the current row of {@code rows}. */
    static long fingerprint(RowSource rows) {
        return fingerprint(rows.id(), rows.problem() == null ? rows.vector() : null, rows.length());
    }

    final int dimension;
    /** Training rows, row-major. */
    final float[] vectors;
    final int rows;
    final long[] evalIds;
    final float[] evalVectors;
    /** Rows looked at, and how many of them were unusable or of another length. */
    final int seen;
    final int unusable;
    /** Rows of the input the sampling tasks read: all of it, so this is the input's row count. */
    final long rowsRead;
    /** {@link #fingerprint} of the {@link #rowsRead} rows. */
    final long rowFingerprint;

    private Sample(int dimension, float[] vectors, int rows, long[] evalIds, float[] evalVectors, int seen, int unusable, long rowsRead,
                   long rowFingerprint) {
        this.dimension = dimension;
        this.vectors = vectors;
        this.rows = rows;
        this.evalIds = evalIds;
        this.evalVectors = evalVectors;
        this.seen = seen;
        this.unusable = unusable;
        this.rowsRead = rowsRead;
        this.rowFingerprint = rowFingerprint;
    }

    int evalCount() {
        return evalIds.length;
    }

    /**
     * @param dimension the dimension if the user gave it (or the file format fixes it), else null: then
     *                  the most common length among the sampled rows
     * @param input     for messages
     */
    /**
     * Without a sample (random partitions, no recall measured): the file's first 1,000 usable rows, as one, for the
     * checks a build makes on its input ({@link #refuseUnresolvable}).
     */
    static Sample firstRows(VecsInput vecs, org.apache.hadoop.conf.Configuration hadoop, Metric metric) throws IOException {
        int count = (int) Math.min(vecs.rows, 1000);
        float[] first = new float[count * vecs.dimension];
        int read = 0;
        try (RowSource rows = vecs.rows(0, count, hadoop)) {
            while (read < count && rows.next()) {
                float[] v = rows.vector();
                if (v != null && usable(v, metric)) {
                    System.arraycopy(v, 0, first, read++ * vecs.dimension, vecs.dimension);
                }
            }
        }
        return new Sample(vecs.dimension, first, read, new long[0], new float[0], read, 0, read, 0);
    }

    /**
     * Refuses an input whose float32 distances cannot rank it ({@link Vectors#resolutionProblem}), judged on these rows
     * and on the queries the build measures its recall with: {@code evalFile}'s, else this sample's own.
     *
     * @return the rows' typical length ({@link Vectors#typicalLength}), which the manifest records so that readers
     *         can judge their queries the same way
     */
    double refuseUnresolvable(EvalQueries.FromFile fromFile, Metric metric, String input) {
        FloatMatrix evalFile = fromFile == null ? null : fromFile.queries();
        boolean trained = rows > 0;
        float[] judged = trained ? vectors : evalVectors;
        int judgedRows = trained ? rows : evalIds.length;
        float[] queries = evalFile != null ? evalFile.data() : evalIds.length > 0 ? evalVectors : null;
        int queryCount = evalFile != null ? evalFile.rows() : evalIds.length;
        String problem = Vectors.resolutionProblem(judged, judgedRows, dimension, metric, queries, queryCount);
        if (problem != null) {
            throw new InvalidInputException("input " + input + problem);
        }
        return Vectors.typicalLength(judged, judgedRows, dimension);
    }

    static Sample of(List<Part> parts, Integer dimension, Metric metric, int trainRows, int evalRows, long seed, String input) {
        int dim = dimension != null ? dimension : commonLength(parts, input);
        List<Long> ids = new ArrayList<>();
        List<float[]> valid = new ArrayList<>();
        int seen = 0;
        String otherLength = null;
        int otherLengths = 0;
        for (Part p : parts) {
            for (int i = 0; i < p.ids.length; i++) {
                seen++;
                float[] v = p.vectors[i];
                if (v != null && p.lengths[i] == dim && usable(v, metric)) {
                    ids.add(p.ids[i]);
                    valid.add(v);
                } else if (p.lengths[i] > 0 && p.lengths[i] != dim) {
                    otherLengths++;
                    otherLength = otherLength != null ? otherLength : "row id " + p.ids[i] + " has dimension " + p.lengths[i];
                }
            }
        }
        if (dimension != null && otherLengths * 2 > seen) {
            throw new InvalidInputException("input " + input + ": the dimension is " + dimension + ", but " + otherLengths + " of " + seen
                    + " sampled rows have another one (e.g. " + otherLength + ")");
        }
        if (valid.isEmpty()) {
            throw new InvalidInputException("input " + input + ": none of the " + seen + " sampled rows has a usable vector of dimension " + dim);
        }
        // A seeded shuffle: the evaluation queries and the training rows do not depend on task timing.
        int[] order = new int[valid.size()];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < order.length; i++) {
            int j = random.nextInt(i + 1);
            order[i] = order[j];
            order[j] = i;
        }
        int train = Math.min(trainRows, order.length);
        float[] vectors = new float[train * dim];
        for (int i = 0; i < train; i++) {
            System.arraycopy(valid.get(order[i]), 0, vectors, i * dim, dim);
        }
        List<Integer> eval = new ArrayList<>();
        Set<Long> taken = new HashSet<>();
        for (int i = 0; i < order.length && eval.size() < evalRows; i++) {
            if (taken.add(ids.get(order[i]))) {
                eval.add(order[i]);
            }
        }
        long[] evalIds = new long[eval.size()];
        float[] evalVectors = new float[eval.size() * dim];
        for (int i = 0; i < eval.size(); i++) {
            evalIds[i] = ids.get(eval.get(i));
            System.arraycopy(valid.get(eval.get(i)), 0, evalVectors, i * dim, dim);
        }
        long rowsRead = parts.stream().mapToLong(p -> p.rowsRead).sum();
        long rowFingerprint = parts.stream().mapToLong(p -> p.rowFingerprint).sum();
        return new Sample(dim, vectors, train, evalIds, evalVectors, seen, seen - valid.size(), rowsRead, rowFingerprint);
    }

    /** The most common length of a non-empty vector among the sampled rows. */
    private static int commonLength(List<Part> parts, String input) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (Part p : parts) {
            for (int length : p.lengths) {
                if (length > 0) {
                    counts.merge(length, 1, Integer::sum);
                }
            }
        }
        return counts.entrySet().stream().max(Map.Entry.<Integer, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .map(Map.Entry::getKey)
                .orElseThrow(() -> new InvalidInputException("input " + input + " has no non-empty vector among "
                        + parts.stream().mapToInt(p -> p.ids.length).sum() + " sampled rows (a column the table's schema has but its"
                        + " files lack reads as nulls: Spark takes the schema from one file, or from a summary file, _common_metadata)"));
    }

    private static boolean usable(float[] v, Metric metric) {
        return Vectors.isValid(v, 0, v.length, metric);
    }
}
