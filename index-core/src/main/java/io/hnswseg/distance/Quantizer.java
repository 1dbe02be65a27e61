package io.hnswseg.distance;

/**
 * Per-dimension int8 scalar quantization: {@code x ~ offset[d] + scale[d] * code}, codes in [-128, 127],
 * each dimension spread over its values (tails clipped where outliers call for it, see {@link #fit}). Fitted on the
 * vectors of one segment and stored with it.
 */
public final class Quantizer {

    private final Metric metric;
    private final float[] scale;
    private final float[] offset;
    /**
     * The weights of the code-to-code kernel, padded with zeros ({@link Kernels#CODE_PADDING}): {@code scale^2}
     * for both metrics; and for the dot metrics {@code offset * scale}, whose dot with a row is its row term.
     */
    private final float[] squaredScale;
    private final float[] offsetScale;
    /** {@code sum(offset^2)}: the part of a dot product of two decoded rows that no code changes. */
    private final float offsetNorm;
    /** {@code |offset|} and the largest length a row of scaled codes can have, {@code |scale * 128|}: bound a code distance's terms. */
    final double offsetLength;
    final double largestCodeLength;

    /** A quantizer with given parameters (as read back from a segment file). */
    public Quantizer(Metric metric, float[] scale, float[] offset) {
        if (scale.length != offset.length) {
            throw new IllegalArgumentException("scale and offset differ in length");
        }
        this.metric = metric;
        this.scale = scale.clone();
        this.offset = offset.clone();
        int dim = scale.length;
        this.squaredScale = new float[dim + Kernels.CODE_PADDING];
        this.offsetScale = new float[dim + Kernels.CODE_PADDING];
        float norm = 0;
        double offsets = 0;
        double scales = 0;
        for (int d = 0; d < dim; d++) {
            squaredScale[d] = scale[d] * scale[d];
            offsetScale[d] = offset[d] * scale[d];
            norm += offset[d] * offset[d];
            offsets += (double) offset[d] * offset[d];
            scales += (double) scale[d] * scale[d];
        }
        this.offsetNorm = norm;
        this.offsetLength = Math.sqrt(offsets);
        this.largestCodeLength = 128 * Math.sqrt(scales);
    }

    /** Rows sampled per dimension to place its range: enough for stable tail quantiles, few enough to be quick. */
    static final int FIT_SAMPLE = 16_384;
    /** Dimensions gathered per pass over the sampled rows: 32 x 16,384 floats, 2 MB. */
    private static final int FIT_BLOCK = 32;
    /**
     * Fits one quantizer per entry of {@code tails}: each dimension's range runs from the {@code tail} to
     * the {@code 1 - tail} quantile of a sample of rows {@code 0..rows-1} of {@code data}; values outside
     * get the end codes. A tail of 0 spans min to max. Clipping matters when a few outliers (one vector
     * x1000) stretch the ranges and leave the ordinary values a handful of codes; it costs the clipped
     * values' accuracy, which a search's float re-rank makes up for.
     *
     * @return per tail, the quantizer, or null when a range cannot be represented in float32 (it overflows)
     */
    public static Quantizer[] fit(FloatPages data, int rows, Metric metric, double... tails) {
        int dimension = data.dimension();
        int sample = Math.min(rows, FIT_SAMPLE);
        float[] values = new float[sample];
        float[][] scales = new float[tails.length][dimension];
        float[][] offsets = new float[tails.length][dimension];
        boolean[] overflow = new boolean[tails.length];
        // A tail of 0 is the exact range of all rows, not of the sample: no value is clipped at all (the pass
        // over all rows is made only for it).
        float[] min = new float[dimension];
        float[] max = new float[dimension];
        java.util.Arrays.fill(min, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        boolean full = java.util.Arrays.stream(tails).anyMatch(t -> t == 0);
        for (int r = 0; full && r < rows; r++) {
            float[] page = data.page(r);
            int base = data.offset(r);
            for (int d = 0; d < dimension; d++) {
                float x = page[base + d];
                min[d] = Math.min(min[d], x);
                max[d] = Math.max(max[d], x);
            }
        }
        // The sample's values are gathered a block of dimensions at a time, reading each sampled row's block
        // once (a column at a time would miss the cache on every value of a wide vector); only clipped
        // ranges need them.
        boolean clips = java.util.Arrays.stream(tails).anyMatch(t -> t > 0);
        float[][] block = new float[clips ? Math.min(FIT_BLOCK, dimension) : 0][sample];
        int[] widestFirst = java.util.stream.IntStream.range(0, tails.length).boxed()
                .sorted((x, y) -> Double.compare(tails[y], tails[x])).mapToInt(Integer::intValue).toArray();
        for (int d = 0; d < dimension; d++) {
            int inBlock = d % FIT_BLOCK;
            if (clips && inBlock == 0) {
                int width = Math.min(FIT_BLOCK, dimension - d);
                for (int i = 0; i < sample; i++) {
                    // Evenly spread rows, so a segment written in input order is sampled across its whole span.
                    int row = (int) ((long) i * rows / sample);
                    float[] page = data.page(row);
                    int base = data.offset(row) + d;
                    for (int j = 0; j < width; j++) {
                        block[j][i] = page[base + j];
                    }
                }
            }
            if (clips) {
                System.arraycopy(block[inBlock], 0, values, 0, sample);
            }
            // Widest tail first: each quantile then lies in the part a wider one has already split off
            // (values below a lower quantile sit before it, those above an upper one after it), so only the
            // first two selections scan the whole sample.
            int lowerEnd = sample;
            int upperStart = 0;
            for (int t : widestFirst) {
                double lo = min[d];
                double hi = max[d];
                if (tails[t] > 0) {
                    lo = 0;
                    hi = 0;
                    if (sample > 0) {
                        int lowRank = (int) Math.floor(tails[t] * (sample - 1));
                        int highRank = (int) Math.ceil((1 - tails[t]) * (sample - 1));
                        lo = select(values, 0, lowerEnd, lowRank);
                        lowerEnd = lowRank + 1;
                        upperStart = Math.max(upperStart, Math.min(lowerEnd, highRank));
                        hi = select(values, upperStart, sample, highRank);
                        upperStart = highRank;
                    }
                }
                double step = (hi - lo) / 255;
                float s = step > 0 ? (float) step : 1f;
                float o = (float) (lo + 128.0 * s);
                overflow[t] |= !Float.isFinite(s) || s == 0 || !Float.isFinite(o) || !Float.isFinite(o + 128 * s)
                        || !Float.isFinite(o - 128 * s);
                scales[t][d] = s;
                offsets[t][d] = sample == 0 ? 0 : o;
            }
        }
        Quantizer[] fitted = new Quantizer[tails.length];
        for (int t = 0; t < tails.length; t++) {
            fitted[t] = overflow[t] ? null : new Quantizer(metric, scales[t], offsets[t]);
        }
        return fitted;
    }

    /**
     * The {@code rank}-th smallest of {@code values} when {@code values[from..to)} holds it and everything
     * before {@code from} is no larger, everything from {@code to} no smaller (quickselect; reorders only
     * that range, and leaves it split at the rank).
     */
    static float select(float[] values, int from, int to, int rank) {
        int left = from;
        int right = to - 1;
        while (left < right) {
            float pivot = values[(left + right) >>> 1];
            int i = left;
            int j = right;
            while (i <= j) {
                while (values[i] < pivot) {
                    i++;
                }
                while (values[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = values[i];
                    values[i++] = values[j];
                    values[j--] = t;
                }
            }
            if (rank <= j) {
                right = j;
            } else if (rank >= i) {
                left = i;
            } else {
                break;
            }
        }
        return values[rank];
    }

    /** Codes of rows {@code 0..rows-1} of {@code data}, row-major, in an array of {@link #newCodes}. */
    byte[] encode(float[] data, int rows) {
        byte[] codes = newCodes(rows);
        encode(data, 0, rows, codes);
        return codes;
    }

    /**
     * An array for {@code rows} rows of codes and the padding the kernels may read past the last one
     * ({@link Kernels#CODE_PADDING}); every array of codes that is scored must come from here.
     */
    public byte[] newCodes(int rows) {
        return new byte[Math.multiplyExact(rows, scale.length) + Kernels.CODE_PADDING];
    }

    /**
     * The row term of the codes at {@code codes[at..]}: the part of a distance that depends on that row
     * alone, computed once per row so that scoring one costs a single dot product ({@link CodeQuery}). For l2 it
     * is the squared norm of the scaled codes {@code sum((scale * code)^2)}, for ip and cosine
     * {@code sum(offset * scale * code)}.
     */
    public float rowTerm(byte[] codes, int at) {
        int dim = scale.length;
        return metric == Metric.L2
                ? VectorKernels.codeDot(codes, at, codes, at, squaredScale, dim)
                : ScalarKernels.floatWeightsDot(offsetScale, codes, at, dim);
    }

    /** {@link #rowTerm} of rows {@code from..to-1} of {@code codes} into the same entries of {@code terms}. */
    public void rowTerms(byte[] codes, int from, int to, float[] terms, int termsAt) {
        for (int row = from; row < to; row++) {
            terms[termsAt + row - from] = rowTerm(codes, row * scale.length);
        }
    }

    /**
     * Distance between two rows of codes, given their row terms, in {@link Metric#distance} units; the
     * builder compares nodes with it. For l2 {@code |x - y|^2 = |x|^2 + |y|^2 - 2 x.y} on the scaled codes
     * (the offsets cancel), clamped at 0 against rounding; for the dot metrics {@code 1 - x.y} of the decoded rows.
     */
    float codeDistance(byte[] a, int ao, float termA, byte[] b, int bo, float termB) {
        float dot = VectorKernels.codeDot(a, ao, b, bo, squaredScale, scale.length);
        return metric == Metric.L2
                ? Math.max(0f, termA + termB - 2 * dot)
                : 1f - offsetNorm - termA - termB - dot;
    }

    /** Encodes rows {@code from..to-1} of {@code data} into the same rows of {@code codes}, both row-major. */
    void encode(float[] data, int from, int to, byte[] codes) {
        int dim = scale.length;
        for (int row = from, i = from * dim; row < to; row++) {
            for (int d = 0; d < dim; d++, i++) {
                int code = Math.round((data[i] - offset[d]) / scale[d]);
                codes[i] = (byte) Math.max(-128, Math.min(127, code));
            }
        }
    }

    /**
     * For each of rows {@code from..to-1} of {@code data} (row-major, as encoded into the same rows of {@code codes}),
     * how far the row lies from its decoded codes, {@code |x - (offset + scale * code)|}, rounded up, into
     * {@code errors[errorsAt..]}. A row's approximate distances are off by at most this much (in vector units,
     * see {@link CodeQuery#lowerBound}), clipped outliers included.
     */
    void rowErrors(float[] data, int from, int to, byte[] codes, float[] errors, int errorsAt) {
        int dim = scale.length;
        for (int row = from, i = from * dim; row < to; row++) {
            double sum = 0;
            for (int d = 0; d < dim; d++, i++) {
                double e = (double) data[i] - ((double) offset[d] + (double) scale[d] * codes[i]);
                sum += e * e;
            }
            errors[errorsAt + row - from] = Math.nextUp((float) Math.sqrt(sum));
        }
    }

    public Metric metric() {
        return metric;
    }

    /** How many times the median row error marks a row whose codes misrepresent it (see {@link #misfits}). */
    static final float MISFIT_ERROR_FACTOR = 8;
    /** At most one row in this many is a misfit; more is no outlier (see {@link #misfits}). */
    static final int MAX_MISFIT_SHARE = 20;

    /**
     * For ip, the rows whose codes misrepresent them far beyond quantization noise: a row error above
     * {@link #MISFIT_ERROR_FACTOR} times the median. They are the vectors with an outlying large component that
     * a clipped range cut short, and with ip such a vector is the answer to every query leaning its way, which
     * its codes would rank as ordinary; searches score them on their floats. Null when there are none, and for
     * l2 and cosine, whose outliers are far from other vectors rather than nearest to many.
     *
     * @param rowErrors per row, {@link #rowErrors}; the same array gives the same rows at build and after a reopen
     */
    public static boolean[] misfits(Metric metric, float[] rowErrors) {
        float limit = misfitLimit(metric, rowErrors);
        int count = countAbove(rowErrors, limit);
        if (count == 0 || tooManyMisfits(count, rowErrors.length)) {
            return null;
        }
        boolean[] misfit = new boolean[rowErrors.length];
        for (int row = 0; row < rowErrors.length; row++) {
            misfit[row] = rowErrors[row] > limit;
        }
        return misfit;
    }

    /**
     * The row error above which a row is a misfit ({@link #misfits}): {@link #MISFIT_ERROR_FACTOR} times the median of
     * {@code rowErrors}; infinite for l2 and cosine.
     */
    static float misfitLimit(Metric metric, float[] rowErrors) {
        int rows = rowErrors.length;
        if (metric != Metric.IP || rows == 0) {
            return Float.POSITIVE_INFINITY;
        }
        // The median of an evenly spaced sample of at most 4,097 rows: the same rows wherever it is computed.
        int step = Math.max(1, rows / 4096);
        float[] sample = new float[(rows + step - 1) / step];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = rowErrors[i * step];
        }
        java.util.Arrays.sort(sample);
        return MISFIT_ERROR_FACTOR * sample[sample.length / 2];
    }

    /**
     * Whether {@code count} of {@code rows} rows above the limit are too many to be outliers. They are rare (the probe's
     * 3 vectors came with 73 mildly clipped rows: 1.5%): more than one in {@link #MAX_MISFIT_SHARE} above the limit is
     * the errors' own spread (most rows coded exactly, say, and a median near 0), and scoring them all on floats would
     * slow every search for nothing.
     */
    static boolean tooManyMisfits(int count, int rows) {
        return count > Math.max(1, rows / MAX_MISFIT_SHARE);
    }

    /** How many of {@code rowErrors} are above {@code limit}. */
    static int countAbove(float[] rowErrors, float limit) {
        int count = 0;
        for (float error : rowErrors) {
            count += error > limit ? 1 : 0;
        }
        return count;
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

    /**
     * Prepares a float query for scoring against codes whose {@link #rowTerm}s are {@code rowTerms} (by row
     * number; may be null for ip and cosine, whose query distances do not use them); see {@link CodeQuery}.
     */
    public CodeQuery query(float[] query, float[] rowTerms) {
        return new CodeQuery(this, query, rowTerms, null);
    }

    /**
     * {@link #query(float[], float[])} for codes whose rows' {@link #rowErrors} are {@code rowErrors} (by row
     * number), so that {@link CodeQuery#lowerBound} bounds the exact distances; null when they are not known.
     */
    public CodeQuery query(float[] query, float[] rowTerms, float[] rowErrors) {
        return new CodeQuery(this, query, rowTerms, rowErrors);
    }
}
