package io.hnswseg.distance;

import java.util.Locale;

/**
 * How two vectors are compared. Every metric is expressed as a distance (smaller is closer):
 * <ul>
 *   <li>{@link #L2}: squared Euclidean distance;</li>
 *   <li>{@link #IP}: {@code 1 - dot(a, b)} (maximum inner product search);</li>
 *   <li>{@link #COSINE}: {@code 1 - cos(a, b)}; vectors are normalised to unit length when they enter an
 *   index or a query, so the kernel is the same as {@link #IP}.</li>
 * </ul>
 */
public enum Metric {
    L2(0), IP(1), COSINE(2);

    private final int code;

    Metric(int code) {
        this.code = code;
    }

    /** The numeric code stored in segment files. */
    public int code() {
        return code;
    }

    public static Metric fromCode(int code) {
        for (Metric m : values()) {
            if (m.code == code) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown metric code " + code + " (known: 0=l2, 1=ip, 2=cosine)");
    }

    /** Parses {@code l2}, {@code ip} or {@code cosine} (any case); {@code euclidean}, {@code dot}, {@code inner_product} and {@code cos} too. */
    public static Metric parse(String name) {
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "l2":
            case "euclidean":
                return L2;
            case "ip":
            case "dot":
            case "inner_product":
                return IP;
            case "cosine":
            case "cos":
                return COSINE;
            default:
                throw new IllegalArgumentException("unknown metric '" + name + "': expected l2 (or euclidean), ip (or dot, inner_product) or cosine (or cos)");
        }
    }

    /** Lower-case name as used on the command line and in manifests. */
    public String externalName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Distance between {@code a[aOffset..aOffset+dim)} and {@code b[bOffset..bOffset+dim)}. */
    public float distance(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        return this == L2
                ? VectorKernels.squaredL2(a, aOffset, b, bOffset, dim)
                : ofDot(VectorKernels.dot(a, aOffset, b, bOffset, dim));
    }

    /**
     * The ip or cosine distance of a dot product. Two unit vectors' rounded dot product may pass 1 by an ulp or
     * two, which would make a vector's cosine distance to itself -1.2e-7: cosine distances are held at 0.
     */
    public float ofDot(float dot) {
        float d = 1f - dot;
        return this == COSINE ? Math.max(0f, d) : d;
    }

    /** Distances from one query to four rows of {@code data}, written to {@code out[0..3]}. */
    public void distance4(float[] q, int qOffset, float[] data, int o0, int o1, int o2, int o3, int dim, float[] out) {
        if (this == L2) {
            VectorKernels.squaredL2x4(q, qOffset, data, o0, o1, o2, o3, dim, out);
        } else {
            VectorKernels.dotx4(q, qOffset, data, o0, o1, o2, o3, dim, out);
            out[0] = ofDot(out[0]);
            out[1] = ofDot(out[1]);
            out[2] = ofDot(out[2]);
            out[3] = ofDot(out[3]);
        }
    }

    /** Whether vectors must be normalised to unit length before use. */
    public boolean normalizes() {
        return this == COSINE;
    }
}
