package io.hnswseg.distance;

/** Checks and normalisation applied to every vector that enters an index or a query. */
public final class Vectors {

    private Vectors() {
    }

    /**
     * Verifies that {@code v[offset..offset+dim)} has only finite components and, for cosine, a non-zero norm.
     *
     * @param what how to name the vector in an error, e.g. {@code "vector for id 42"} or {@code "query"}
     * @throws IllegalArgumentException naming the vector, the component and the value
     */
    public static void checkValid(float[] v, int offset, int dim, Metric metric, String what) {
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            float x = v[offset + i];
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException(what + " has " + x + " at component " + i + ": every component must be a finite float");
            }
            norm += (double) x * x;
        }
        if (metric.normalizes() && norm == 0) {
            throw new IllegalArgumentException(what + " is the zero vector, which has no direction for the cosine metric");
        }
    }

    /** Checks the length of a vector against the index dimension. */
    public static void checkDimension(int actual, int expected, String what) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + " has dimension " + actual + ", expected " + expected);
        }
    }

    /** Scales {@code v[offset..offset+dim)} to unit length in place (a zero vector is left as it is). */
    public static void normalize(float[] v, int offset, int dim) {
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            norm += (double) v[offset + i] * v[offset + i];
        }
        if (norm > 0) {
            float inv = (float) (1.0 / Math.sqrt(norm));
            for (int i = 0; i < dim; i++) {
                v[offset + i] *= inv;
            }
        }
    }
}
