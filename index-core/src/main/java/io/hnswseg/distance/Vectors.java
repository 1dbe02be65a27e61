package io.hnswseg.distance;

/** Checks and normalisation applied to every vector that enters an index or a query. */
public final class Vectors {

    /**
     * The largest squared length an l2 or ip vector may have: an eighth of the largest float, so that the
     * distance between any two valid vectors, at most {@code (|q| + |x|)^2}, stays finite with room for
     * rounding. Beyond it every distance to a query would be infinite and its neighbours arbitrary.
     */
    static final double MAX_SQUARED_LENGTH = Float.MAX_VALUE / 8.0;

    private Vectors() {
    }

    /**
     * Verifies that {@code v[offset..offset+dim)} has only finite components and, for cosine, a non-zero norm;
     * for l2 and ip, a length whose distances fit a float ({@link #MAX_SQUARED_LENGTH}).
     *
     * @param what how to name the vector in an error, e.g. {@code "vector for id 42"} or {@code "query"}
     * @throws IllegalArgumentException naming the vector, the component and the value
     */
    public static void checkValid(float[] v, int offset, int dim, Metric metric, String what) {
        String problem = problem(v, offset, dim, metric);
        if (problem != null) {
            throw new IllegalArgumentException(what + problem);
        }
    }

    /** Whether {@link #checkValid} accepts the vector, without building a message: for samples that drop bad rows. */
    public static boolean isValid(float[] v, int offset, int dim, Metric metric) {
        return problem(v, offset, dim, metric) == null;
    }

    /** What is wrong with the vector, as the end of a sentence that starts with its name; null when nothing is. */
    private static String problem(float[] v, int offset, int dim, Metric metric) {
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            float x = v[offset + i];
            if (!Float.isFinite(x)) {
                return " has " + x + " at component " + i + ": every component must be a finite float";
            }
            norm += (double) x * x;
        }
        if (metric.normalizes() && norm == 0) {
            return " is the zero vector, which has no direction for the cosine metric";
        }
        if (!metric.normalizes() && norm > MAX_SQUARED_LENGTH) {
            return String.format(java.util.Locale.ROOT, " has length %.3g: its %s distances would overflow a float; a vector's length "
                    + "must be at most %.3g (cosine normalises vectors, so any length works there)", Math.sqrt(norm), metric.externalName(),
                    Math.sqrt(MAX_SQUARED_LENGTH));
        }
        return null;
    }

    /**
     * The smallest typical squared l2 distance between two vectors of a dataset that float32 distances rank: far
     * above the smallest normal float (1.2e-38), below which distances lose precision and then all round to 0.
     */
    static final double MIN_TYPICAL_SQUARED_DISTANCE = 1e-30;
    /**
     * The smallest typical dot product of a query and a vector that ip distances rank: they are {@code 1 - x.q} in
     * float32 (as hnswlib's), whose steps of 6e-8 near 1 swallow the differences between much smaller dot products
     * (probe helper 32, queries as long as the vectors: recall@10 0.99 at dot products near 1e-4, 0.61 near 1e-6,
     * 0 below 1e-9; review helper 33: short vectors with unit queries rank as well as unit data).
     */
    static final double MIN_TYPICAL_DOT_PRODUCT_IP = 1e-4;
    /**
     * The smallest typical cosine distance between two vectors of a dataset that cosine distances rank: they are
     * {@code 1 - cos} in float32, whose steps of 6e-8 near 0 swallow the differences between vectors that all point
     * nearly the same way (probe helper 53: vectors 1000 + 0.1 x clustered data, typical 1 - cos near 1e-8, recall@10
     * by ids 0.02 for every engine, hnswlib's too, while recall counting equal distances claimed 0.9964). 50-cluster
     * 32-d data at a tenth of its scale plus an offset, against float64 truth, best recall@10 at any ef: typical
     * 3.5e-3 0.997, 3.9e-4 0.979, 3.5e-5 0.835, 3.9e-6 0.364, 3.5e-7 0.06.
     */
    static final double MIN_TYPICAL_COSINE_DISTANCE = 1e-4;
    /** Rows of a dataset (and of its queries) {@link #resolutionProblem} looks at, evenly spaced. */
    private static final int RESOLUTION_ROWS = 1000;

    /**
     * Why float32 distances cannot rank a dataset like {@code rows} (stored form; a sample of it, or all of it) for
     * queries like {@code queries} (null: queries like its own rows), or null when they can: under l2, a typical
     * squared distance between two of its vectors (the median over pairs of up to {@value #RESOLUTION_ROWS} evenly
     * spaced rows, copies left out) below {@link #MIN_TYPICAL_SQUARED_DISTANCE}; under ip, the product of the typical
     * lengths of its vectors and of the queries (medians, zero vectors left out) below {@link
     * #MIN_TYPICAL_DOT_PRODUCT_IP}; under cosine, a typical cosine distance between two of its vectors below {@link
     * #MIN_TYPICAL_COSINE_DISTANCE}. Either way the answers would be arbitrary while every recall measured with the
     * same float distances looked perfect. Scaling every vector by one factor fixes l2's and ip's without changing any
     * neighbours, and the text says so, as the end of a sentence that starts with the dataset's name; cosine's has no
     * such remedy, and the text says what the vectors share.
     */
    public static String resolutionProblem(float[] rows, int count, int dim, Metric metric, float[] queries, int queryCount) {
        if (count < 2) {
            return null;
        }
        if (metric == Metric.COSINE) {
            double median = median(rows, count, dim, Measure.COSINE_DISTANCE);
            if (median > 0 && median < MIN_TYPICAL_COSINE_DISTANCE) {
                return String.format(java.util.Locale.ROOT, ": its vectors all point nearly the same way (the typical cosine distance"
                        + " between two of them, 1 - cos, is %.2g), too close for float32 cosine distances, which step by 6e-8,"
                        + " and the neighbours found would be arbitrary; the vectors share a large common part (an offset, say):"
                        + " subtract it from every vector and query if what differs is what matters, or index them under l2",
                        median);
            }
            return null;
        }
        if (metric == Metric.L2) {
            double median = median(rows, count, dim, Measure.SQUARED_DISTANCE);
            if (median > 0 && median < MIN_TYPICAL_SQUARED_DISTANCE) {
                return String.format(java.util.Locale.ROOT, ": the typical squared l2 distance between its vectors is %.2g, too small"
                        + " for float32 distances (below %.0g they lose precision, below 1e-45 they are all 0) and the neighbours found"
                        + " would be arbitrary; multiply every vector, and every query, by one factor (%.0g, say): l2's neighbours stay"
                        + " the same", median, MIN_TYPICAL_SQUARED_DISTANCE, powerOfTenAbove(1 / Math.sqrt(median)));
            }
            return null;
        }
        double length = typicalLength(rows, count, dim);
        double queryLength = queries == null ? length : typicalLength(queries, queryCount, dim);
        double dot = length * queryLength;
        if (dot > 0 && dot < MIN_TYPICAL_DOT_PRODUCT_IP) {
            return String.format(java.util.Locale.ROOT, ": its vectors' typical length is %.2g and its queries' %.2g%s, so typical"
                    + " dot products are near %.2g: too small for ip distances, which are 1 - x.q in float32 (as hnswlib's) and cannot"
                    + " tell them apart, and the neighbours found would be arbitrary; multiply every vector by one factor (%.0g, say)"
                    + " so that dot products are near 1 (ip's ranking for a query stays the same)%s", length, queryLength,
                    queries == null ? " (queries drawn from the vectors)" : "", dot, powerOfTenAbove(1 / dot),
                    queries == null ? ", or measure with queries of your own if yours are longer" : "");
        }
        return null;
    }

    /**
     * The typical length of {@code rows}: the median, over up to {@value #RESOLUTION_ROWS} evenly
     * spaced rows, zero vectors left out; 0 when every one is zero. What a manifest records, so that a reader can
     * scale a short ip query ({@link #ipQueryScale}).
     */
    public static double typicalLength(float[] rows, int count, int dim) {
        return count == 0 ? 0 : Math.sqrt(median(rows, count, dim, Measure.SQUARED_LENGTH));
    }

    /** Below this typical dot product with the index's vectors an ip query is searched scaled up ({@link #ipQueryScale}). */
    static final double SCALED_DOT_PRODUCT_IP = 1e-2;

    /**
     * The factor an ip query is searched with: 1, or, when its length times the index's {@code typicalLength}
     * (0: not known) is below {@value #SCALED_DOT_PRODUCT_IP}, the factor that brings that product to 1. ip distances
     * are {@code 1 - x.q} in float32, whose steps of 6e-8 near 1 cannot tell small dot products apart (probe helper 32:
     * a query of length 1e-6 against unit vectors found 0.72 of its neighbours); scaling a query by a positive factor
     * changes no ranking, so the search runs on the scaled query and its distances are converted back ({@link
     * #unscaledIpDistance}). Refusing such queries refused some that ranked well (review helper 38: under ip the long
     * vectors make the answers, and a typical length says little of them).
     */
    public static float ipQueryScale(float[] query, Metric metric, double typicalLength) {
        if (metric != Metric.IP || !(typicalLength > 0)) {
            return 1f;
        }
        double norm = 0;
        for (float x : query) {
            norm += (double) x * x;
        }
        double length = Math.sqrt(norm);
        double dot = length * typicalLength;
        // Capped at the largest float: a cap of 1e30 left queries of length 1e-36 at dot products of 1e-6, ranked
        // at 0.825 (probe helper 40). And at half the longest query a search takes: the scaled query is as long as
        // 1 / typicalLength, and an index of vectors shorter than 1.5e-19 refused every query it scaled, a 400 to
        // serve's clients for a query of theirs that was fine (review helper 60).
        double longest = 0.5 * Math.sqrt(MAX_SQUARED_LENGTH) / length;
        return dot > 0 && dot < SCALED_DOT_PRODUCT_IP ? (float) Math.min(Math.min(1 / dot, longest), Float.MAX_VALUE) : 1f;
    }

    /** The ip distance {@code 1 - x.q} of the query a search scaled by {@code scale}, from its scaled distance. */
    public static float unscaledIpDistance(float scaledDistance, float scale) {
        return (float) (1 - (1 - (double) scaledDistance) / scale);
    }

    /** What {@link #median} takes the median of. */
    private enum Measure {
        /** A row's squared length. */
        SQUARED_LENGTH,
        /** The squared l2 distance between two rows. */
        SQUARED_DISTANCE,
        /** The cosine distance between two rows, 1 - cos, in float64. */
        COSINE_DISTANCE
    }

    /**
     * The median of {@code measure} over up to {@value #RESOLUTION_ROWS} evenly spaced rows (or pairs of each such
     * row and the next), zeros left out (zero vectors; copies, or rows pointing one way); 0 when every value is 0.
     */
    private static double median(float[] rows, int count, int dim, Measure measure) {
        int picked = Math.min(count, RESOLUTION_ROWS);
        double[] values = new double[picked];
        int n = 0;
        for (int i = 0; i < picked; i++) {
            int a = (int) ((long) i * count / picked);
            int b = (int) ((long) ((i + 1) % picked) * count / picked);
            double v = 0;
            double aa = 0;
            double bb = 0;
            for (int d = 0; d < dim; d++) {
                double x = rows[a * dim + d];
                double y = measure == Measure.SQUARED_LENGTH ? 0 : rows[b * dim + d];
                v += measure == Measure.SQUARED_LENGTH ? x * x : measure == Measure.SQUARED_DISTANCE ? (x - y) * (x - y) : x * y;
                aa += x * x;
                bb += y * y;
            }
            if (measure == Measure.COSINE_DISTANCE) {
                v = aa > 0 && bb > 0 ? 1 - v / Math.sqrt(aa * bb) : 0;
            }
            if (v > 0) {
                values[n++] = v;
            }
        }
        if (n == 0) {
            return 0;
        }
        java.util.Arrays.sort(values, 0, n);
        return values[n / 2];
    }

    private static double powerOfTenAbove(double x) {
        return Math.pow(10, Math.ceil(Math.log10(x)));
    }

    /** Checks the length of a vector against the index dimension. */
    public static void checkDimension(int actual, int expected, String what) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + " has dimension " + actual + ", expected " + expected);
        }
    }

    /**
     * Makes {@code v[offset..offset+dim)}, in place, the row an index of {@code metric} stores: normalised under
     * a metric that normalises ({@link Metric#normalizes}), else as it is. Rows compared in this form (copies of
     * one vector, say) compare as the index sees them: under cosine, v and 2v are one.
     */
    public static void asStored(float[] v, int offset, int dim, Metric metric) {
        if (metric.normalizes()) {
            normalize(v, offset, dim);
        }
    }

    /**
     * Scales {@code v[offset..offset+dim)} to unit length in place (a zero vector is left as it is). The scale
     * stays a double: for a vector shorter than about 3e-39, a valid direction, its float would be infinite.
     */
    public static void normalize(float[] v, int offset, int dim) {
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            norm += (double) v[offset + i] * v[offset + i];
        }
        if (norm > 0) {
            double inv = 1.0 / Math.sqrt(norm);
            for (int i = 0; i < dim; i++) {
                v[offset + i] = (float) (v[offset + i] * inv);
            }
        }
    }
}
