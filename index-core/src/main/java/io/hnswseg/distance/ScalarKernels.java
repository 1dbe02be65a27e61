package io.hnswseg.distance;

/** Plain Java kernels, used when {@code jdk.incubator.vector} is not in the JVM. */
final class ScalarKernels implements Kernels {

    @Override
    public float squaredL2(float[] a, int ao, float[] b, int bo, int dim) {
        // Four partial sums break the add dependency chain; the JIT does not reorder float adds itself.
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < dim; i += 4) {
            float d0 = a[ao + i] - b[bo + i];
            float d1 = a[ao + i + 1] - b[bo + i + 1];
            float d2 = a[ao + i + 2] - b[bo + i + 2];
            float d3 = a[ao + i + 3] - b[bo + i + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < dim; i++) {
            float d = a[ao + i] - b[bo + i];
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int dim) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < dim; i += 4) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i + 1] * b[bo + i + 1];
            s2 += a[ao + i + 2] * b[bo + i + 2];
            s3 += a[ao + i + 3] * b[bo + i + 3];
        }
        for (; i < dim; i++) {
            s0 += a[ao + i] * b[bo + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public void squaredL2x4(float[] q, int qo, float[] data, int o0, int o1, int o2, int o3, int dim, float[] out) {
        out[0] = squaredL2(q, qo, data, o0, dim);
        out[1] = squaredL2(q, qo, data, o1, dim);
        out[2] = squaredL2(q, qo, data, o2, dim);
        out[3] = squaredL2(q, qo, data, o3, dim);
    }

    @Override
    public void dotx4(float[] q, int qo, float[] data, int o0, int o1, int o2, int o3, int dim, float[] out) {
        out[0] = dot(q, qo, data, o0, dim);
        out[1] = dot(q, qo, data, o1, dim);
        out[2] = dot(q, qo, data, o2, dim);
        out[3] = dot(q, qo, data, o3, dim);
    }

    @Override
    public long dotToCodes(int[] w, byte[] codes, int offset, int dim) {
        return dotToCodesFrom(0, w, codes, offset, dim);
    }

    /** The scalar loop from component {@code from}; the SIMD kernels finish unpadded tails with it. */
    static long dotToCodesFrom(int from, int[] w, byte[] codes, int offset, int dim) {
        long sum = 0;
        for (int i = from; i < dim; i++) {
            sum += w[i] * codes[offset + i];
        }
        return sum;
    }

    @Override
    public void dotToCodes4(int[] w, byte[] codes, int o0, int o1, int o2, int o3, int dim, float[] out) {
        out[0] = dotToCodes(w, codes, o0, dim);
        out[1] = dotToCodes(w, codes, o1, dim);
        out[2] = dotToCodes(w, codes, o2, dim);
        out[3] = dotToCodes(w, codes, o3, dim);
    }

    /** {@code sum(w[d] * codes[offset + d])} with float weights: the row term of ip and cosine, once per row. */
    static float floatWeightsDot(float[] w, byte[] codes, int offset, int dim) {
        float sum = 0;
        for (int i = 0; i < dim; i++) {
            sum += w[i] * codes[offset + i];
        }
        return sum;
    }

    @Override
    public float codeDot(byte[] a, int ao, byte[] b, int bo, float[] w, int dim) {
        return codeDotFrom(0, a, ao, b, bo, w, dim);
    }

    static float codeDotFrom(int from, byte[] a, int ao, byte[] b, int bo, float[] w, int dim) {
        float sum = 0;
        for (int i = from; i < dim; i++) {
            sum += w[i] * (a[ao + i] * b[bo + i]);
        }
        return sum;
    }

    @Override
    public void columns(float[] q, float[] columns, int width, int rows, int dim, boolean l2, float[] out) {
        columnsFrom(0, q, columns, width, rows, dim, l2, out);
    }

    /** The scalar loops from row {@code from}; the SIMD kernel finishes rows past its last whole vectors with them. */
    static void columnsFrom(int from, float[] q, float[] columns, int width, int rows, int dim, boolean l2, float[] out) {
        java.util.Arrays.fill(out, from, rows, 0f);
        for (int d = 0, at = 0; d < dim; d++, at += width) {
            float qd = q[d];
            for (int r = from; r < rows; r++) {
                float x = columns[at + r];
                out[r] += l2 ? (x - qd) * (x - qd) : x * qd;
            }
        }
    }

    @Override
    public String description() {
        return "scalar (jdk.incubator.vector not available: this runtime lacks the module, or the JVM was started without --add-modules jdk.incubator.vector)";
    }
}
