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
    public float squaredL2Codes(byte[] a, int ao, byte[] b, int bo, float[] scale, int dim) {
        return squaredL2CodesFrom(0, a, ao, b, bo, scale, dim);
    }

    /** The scalar loop from component {@code from}; the SIMD kernels finish their tails with it. */
    static float squaredL2CodesFrom(int from, byte[] a, int ao, byte[] b, int bo, float[] scale, int dim) {
        float sum = 0;
        for (int i = from; i < dim; i++) {
            float d = scale[i] * (a[ao + i] - b[bo + i]);
            sum += d * d;
        }
        return sum;
    }

    @Override
    public float dotCodes(byte[] a, int ao, byte[] b, int bo, float[] scale, float[] offset, int dim) {
        return dotCodesFrom(0, a, ao, b, bo, scale, offset, dim);
    }

    static float dotCodesFrom(int from, byte[] a, int ao, byte[] b, int bo, float[] scale, float[] offset, int dim) {
        float sum = 0;
        for (int i = from; i < dim; i++) {
            sum += (offset[i] + scale[i] * a[ao + i]) * (offset[i] + scale[i] * b[bo + i]);
        }
        return sum;
    }

    @Override
    public float squaredL2ToCodes(float[] q, byte[] codes, int offset, float[] scale, float[] shift, int dim) {
        return squaredL2ToCodesFrom(0, q, codes, offset, scale, shift, dim);
    }

    static float squaredL2ToCodesFrom(int from, float[] q, byte[] codes, int offset, float[] scale, float[] shift, int dim) {
        float sum = 0;
        for (int i = from; i < dim; i++) {
            float d = q[i] - (shift[i] + scale[i] * codes[offset + i]);
            sum += d * d;
        }
        return sum;
    }

    @Override
    public void squaredL2ToCodes4(float[] q, byte[] codes, int o0, int o1, int o2, int o3, float[] scale, float[] shift,
                                  int dim, float[] out) {
        out[0] = squaredL2ToCodes(q, codes, o0, scale, shift, dim);
        out[1] = squaredL2ToCodes(q, codes, o1, scale, shift, dim);
        out[2] = squaredL2ToCodes(q, codes, o2, scale, shift, dim);
        out[3] = squaredL2ToCodes(q, codes, o3, scale, shift, dim);
    }

    @Override
    public float dotToCodes(float[] qs, byte[] codes, int offset, int dim) {
        return dotToCodesFrom(0, qs, codes, offset, dim);
    }

    static float dotToCodesFrom(int from, float[] qs, byte[] codes, int offset, int dim) {
        float sum = 0;
        for (int i = from; i < dim; i++) {
            sum += qs[i] * codes[offset + i];
        }
        return sum;
    }

    @Override
    public void dotToCodes4(float[] qs, byte[] codes, int o0, int o1, int o2, int o3, int dim, float[] out) {
        out[0] = dotToCodes(qs, codes, o0, dim);
        out[1] = dotToCodes(qs, codes, o1, dim);
        out[2] = dotToCodes(qs, codes, o2, dim);
        out[3] = dotToCodes(qs, codes, o3, dim);
    }

    @Override
    public String description() {
        return "scalar (jdk.incubator.vector not available; start the JVM with --add-modules jdk.incubator.vector for SIMD)";
    }
}
