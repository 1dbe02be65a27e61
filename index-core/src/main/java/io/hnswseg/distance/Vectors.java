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
