package io.hnswseg.distance;

/**
 * A float query scored against int8 codes (asymmetric: the stored side is quantized to 8 bits, the query's
 * weights to many more). The query, the quantizer and the metric are folded once into per-component weights
 * {@code w} and a constant, so that scoring a row is one widen, one multiply and one add per component
 * ({@link Kernels#dotToCodes}), for every metric:
 * <ul>
 *   <li>l2: {@code |q - x|^2 = |q - offset|^2 - 2 sum((q - offset) * scale * code) + sum((scale * code)^2)}, so
 *       {@code w = -2 scale (q - offset)}, the constant is {@code |q - offset|^2}, and the last sum is the row's
 *       {@link Quantizer#rowTerm}, computed once per row;</li>
 *   <li>ip and cosine: {@code 1 - q.x = 1 - q.offset - sum(q * scale * code)}, so {@code w = -q scale}.</li>
 * </ul>
 * The weights are then rounded to integers, {@code w = weightScale * iw}, as fine as an int sum of one
 * kernel block of products with codes allows ({@code |iw| <= 2^31 / (128 min(dimension, 512))}: 17 bits at
 * 128 dimensions, 15 from 512 on), so that the kernel adds exact integers; the rounding is at most half a
 * step per weight, far below the codes' own, and {@link #lowerBound} allows for it.
 * With the rows' {@link Quantizer#rowErrors} it also bounds how far an approximate distance can be from the
 * exact one ({@link #lowerBound}), which lets a search re-rank only the part of its beam that can still
 * change the answer. One per query and set of codes; immutable, so it may be shared.
 */
public final class CodeQuery {

    private final boolean l2;
    private final int dimension;
    /** The integer weights, zero-padded past the dimension ({@link Kernels#CODE_PADDING}). */
    private final int[] weights;
    /** What one unit of the integer weights is worth: {@code w = weightScale * weights}. */
    private final float weightScale;
    /** The most the rounding of the weights can move an approximate distance: half a step times {@code 128 dimension}. */
    private final double weightError;
    private final float constant;
    /** Row terms by row number (l2 only; null for the dot metrics). */
    private final float[] rowTerms;
    /** Per row {@code |x - decoded x|}, by row number; null when not known (then nothing is bounded). */
    private final float[] rowErrors;
    /**
     * Worst-case relative error of a float sum of this many terms, doubled: {@code (dimension + 8) * 2^-23}.
     * It holds whatever the order of the additions, so for the SIMD kernels too.
     */
    private final double relativeError;
    /**
     * How far rounding can move a computed distance, approximate or exact, from the real one: the relative
     * error times the largest magnitude of the terms summed. l2: the terms of {@link #distance} are bounded by
     * {@code (|q - offset| + |scale * 128|)^2}; the dot metrics: by {@code 1 + |q| (|offset| + |scale * 128|)}.
     */
    private final double rounding;
    /** {@code |q|} for the dot metrics (0 for l2): a row error {@code e} moves a dot product by at most {@code |q| e}. */
    private final double queryNorm;
    /** Whether an approximate distance's terms can pass the float range ({@link #overflows}). */
    private final boolean overflows;

    CodeQuery(Quantizer quantizer, float[] query, float[] rowTerms, float[] rowErrors) {
        float[] scale = quantizer.scaleRef();
        float[] offset = quantizer.offsetRef();
        this.l2 = quantizer.metric() == Metric.L2;
        this.dimension = query.length;
        float[] w = new float[dimension];
        float largestWeight = 0;
        float c = 0;
        for (int d = 0; d < dimension; d++) {
            if (l2) {
                float centred = query[d] - offset[d];
                w[d] = -2 * scale[d] * centred;
                c += centred * centred;
            } else {
                w[d] = -query[d] * scale[d];
                c += query[d] * offset[d];
            }
            largestWeight = Math.max(largestWeight, Math.abs(w[d]));
        }
        // Every |code| <= 128, so the sum of one kernel block's products stays within an int.
        int steps = (int) Math.min(1 << 24, Integer.MAX_VALUE / (128L * Math.min(dimension, Kernels.CODE_BLOCK)));
        this.weights = new int[dimension + Kernels.CODE_PADDING];
        this.weightScale = largestWeight > 0 ? largestWeight / steps : 0f;
        for (int d = 0; d < dimension && largestWeight > 0; d++) {
            weights[d] = (int) Math.max(-steps, Math.min(steps, Math.round(w[d] / weightScale)));
        }
        // Half a step per weight, plus the float rounding of the quotients (relative 2^-23 of up to steps).
        this.weightError = (0.5 + steps * 0x1p-22) * weightScale * 128.0 * dimension;
        this.constant = l2 ? c : 1f - c;
        if (l2 && rowTerms == null) {
            throw new IllegalArgumentException("an l2 code query needs the codes' row terms");
        }
        this.rowTerms = l2 ? rowTerms : null;
        this.rowErrors = rowErrors;
        this.relativeError = (dimension + 8) * 0x1p-23;
        double norm = 0;
        for (int d = 0; !l2 && d < dimension; d++) {
            norm += (double) query[d] * query[d];
        }
        this.queryNorm = Math.sqrt(norm);
        double largest = Math.sqrt(Math.max(0, c)) + quantizer.largestCodeLength;
        double largestTerm = l2 ? largest * largest : 1 + queryNorm * (quantizer.offsetLength + quantizer.largestCodeLength);
        this.rounding = relativeError * largestTerm;
        this.overflows = !(largestTerm * (1 + relativeError) < Float.MAX_VALUE);
    }

    /**
     * Whether this query's approximate distances can overflow a float: an l2 query far from the codes' centre, its
     * {@code |q - offset|^2} past {@link Float#MAX_VALUE} though the query itself is valid (a constant of infinity made
     * every approximate distance NaN, and a search stalled at its entry with one result; review helper 71), or an ip
     * query whose {@code |q| |offset|} is. The caller then scores such a query on the floats.
     */
    public boolean overflows() {
        return overflows;
    }

    /**
     * A lower bound of the exact distance (as the float kernels compute it) to row {@code row}, given its
     * approximate distance {@code approximate} from this query; negative infinity when the row errors are not
     * known. With {@code e} the row's error, the exact vector lies within {@code e} of the decoded one, so l2
     * distances (square roots) and dot products (scaled by {@code |q|}) move by at most that, and rounding by
     * at most {@link #rounding} on either side. A row whose bound exceeds the k-th best exact distance found so
     * far cannot be among the k nearest: the re-rank skips it without changing the answer.
     */
    public float lowerBound(float approximate, int row) {
        if (rowErrors == null) {
            return Float.NEGATIVE_INFINITY;
        }
        double e = rowErrors[row];
        if (l2) {
            double r = Math.sqrt(Math.max(0, approximate - rounding - weightError)) - e;
            return r <= 0 ? 0f : (float) (r * r * (1 - relativeError));
        }
        return (float) (approximate - 2 * rounding - weightError - queryNorm * e * (1 + relativeError));
    }

    /** Approximate distance to row {@code row}, whose codes are at {@code codes[at..]}, in {@link Metric#distance} units. */
    public float distance(byte[] codes, int at, int row) {
        float d = constant + weightScale * VectorKernels.dotToCodes(weights, codes, at, dimension);
        // Rounding can take an l2 distance of nearly equal vectors a hair below zero.
        return l2 ? Math.max(0f, d + rowTerms[row]) : d;
    }

    /** Approximate distances to rows {@code r0..r3}, whose codes are at {@code codes[o0..]} etc., into {@code out[0..3]}. */
    public void distance4(byte[] codes, int o0, int o1, int o2, int o3, int r0, int r1, int r2, int r3, float[] out) {
        VectorKernels.dotToCodes4(weights, codes, o0, o1, o2, o3, dimension, out);
        float c = constant;
        float s = weightScale;
        if (l2) {
            float[] terms = rowTerms;
            out[0] = Math.max(0f, c + s * out[0] + terms[r0]);
            out[1] = Math.max(0f, c + s * out[1] + terms[r1]);
            out[2] = Math.max(0f, c + s * out[2] + terms[r2]);
            out[3] = Math.max(0f, c + s * out[3] + terms[r3]);
        } else {
            out[0] = c + s * out[0];
            out[1] = c + s * out[1];
            out[2] = c + s * out[2];
            out[3] = c + s * out[3];
        }
    }
}
