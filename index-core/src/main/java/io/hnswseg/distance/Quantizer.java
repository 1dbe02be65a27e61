package io.hnswseg.distance;

import java.util.Arrays;

/**
 * Per-dimension int8 scalar quantization: {@code x ~ offset[d] + scale[d] * code}, codes in [-128, 127],
 * each dimension spread over its own [min, max]. Fitted on the vectors of one segment and stored with it.
 */
public final class Quantizer {

    private final Metric metric;
    private final float[] scale;
    private final float[] offset;

    /** A quantizer with given parameters (as read back from a segment file). */
    public Quantizer(Metric metric, float[] scale, float[] offset) {
        if (scale.length != offset.length) {
            throw new IllegalArgumentException("scale and offset differ in length");
        }
        this.metric = metric;
        this.scale = scale.clone();
        this.offset = offset.clone();
    }

    /** Fits the ranges of rows {@code 0..rows-1} of {@code data}. */
    public static Quantizer fit(float[] data, int rows, int dimension, Metric metric) {
        float[] min = new float[dimension];
        float[] max = new float[dimension];
        Arrays.fill(min, Float.POSITIVE_INFINITY);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < rows; r++) {
            for (int d = 0; d < dimension; d++) {
                float x = data[r * dimension + d];
                min[d] = Math.min(min[d], x);
                max[d] = Math.max(max[d], x);
            }
        }
        float[] scale = new float[dimension];
        float[] offset = new float[dimension];
        for (int d = 0; d < dimension; d++) {
            float range = max[d] - min[d];
            scale[d] = range > 0 ? range / 255f : 1f;
            offset[d] = rows == 0 ? 0 : min[d] + 128f * scale[d];
        }
        return new Quantizer(metric, scale, offset);
    }

    /** Codes of rows {@code 0..rows-1} of {@code data}, row-major. */
    byte[] encode(float[] data, int rows) {
        int dim = scale.length;
        byte[] codes = new byte[rows * dim];
        for (int i = 0; i < codes.length; i++) {
            int d = i % dim;
            long code = Math.round((data[i] - offset[d]) / scale[d]);
            codes[i] = (byte) Math.max(-128, Math.min(127, code));
        }
        return codes;
    }

    public Metric metric() {
        return metric;
    }

    public int dimension() {
        return scale.length;
    }

    /** A copy of the per-dimension scales. */
    public float[] scale() {
        return scale.clone();
    }

    /** A copy of the per-dimension offsets. */
    public float[] offset() {
        return offset.clone();
    }

    float[] scaleRef() {
        return scale;
    }

    float[] offsetRef() {
        return offset;
    }

    /** Prepares a float query for scoring against codes; see {@link CodeQuery}. */
    public CodeQuery query(float[] query) {
        return new CodeQuery(this, query);
    }
}
