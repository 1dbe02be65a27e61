package io.hnswseg.distance;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels on the preferred species with fused multiply-add. Only array loads are used
 * ({@code fromArray}): the byte-buffer loads of JDK 17 were removed in later JDKs, and the reader must
 * run on those too. Loaded reflectively by {@link VectorKernels}, so that a JVM without the incubator
 * module never links this class.
 */
final class SimdKernels implements Kernels {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Bytes that widen to one float vector: 16 bytes for 16 lanes. Null when no such shape exists. */
    private static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L)) : null;

    /** Int lanes in the float vectors' shape, for the integer code kernels. */
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

    private static IntVector widenToInts(byte[] codes, int offset) {
        return (IntVector) ByteVector.fromArray(B, codes, offset).convertShape(VectorOperators.B2I, I, 0);
    }

    private static FloatVector widen(byte[] codes, int offset) {
        return (FloatVector) ByteVector.fromArray(B, codes, offset).convertShape(VectorOperators.B2F, S, 0);
    }

    /** Lane sums of four accumulators into {@code out[0..3]}; callers add their scalar tails after. */
    private static void reduce4(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] out) {
        out[0] = a0.reduceLanes(VectorOperators.ADD);
        out[1] = a1.reduceLanes(VectorOperators.ADD);
        out[2] = a2.reduceLanes(VectorOperators.ADD);
        out[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    private static void zero4(float[] out) {
        out[0] = 0;
        out[1] = 0;
        out[2] = 0;
        out[3] = 0;
    }

    @Override
    public float squaredL2(float[] a, int ao, float[] b, int bo, int dim) {
        int i = 0;
        float sum = 0;
        if (dim >= L) {
            // Four accumulators hide the FMA latency (4 cycles) behind independent chains.
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            FloatVector acc2 = FloatVector.zero(S), acc3 = FloatVector.zero(S);
            for (int bound = dim - 4 * L; i <= bound; i += 4 * L) {
                FloatVector d0 = FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i));
                FloatVector d1 = FloatVector.fromArray(S, a, ao + i + L).sub(FloatVector.fromArray(S, b, bo + i + L));
                FloatVector d2 = FloatVector.fromArray(S, a, ao + i + 2 * L).sub(FloatVector.fromArray(S, b, bo + i + 2 * L));
                FloatVector d3 = FloatVector.fromArray(S, a, ao + i + 3 * L).sub(FloatVector.fromArray(S, b, bo + i + 3 * L));
                acc0 = d0.fma(d0, acc0);
                acc1 = d1.fma(d1, acc1);
                acc2 = d2.fma(d2, acc2);
                acc3 = d3.fma(d3, acc3);
            }
            for (int bound = dim - L; i <= bound; i += L) {
                FloatVector d = FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i));
                acc0 = d.fma(d, acc0);
            }
            sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        }
        for (; i < dim; i++) {
            float d = a[ao + i] - b[bo + i];
            sum += d * d;
        }
        return sum;
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int dim) {
        int i = 0;
        float sum = 0;
        if (dim >= L) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            FloatVector acc2 = FloatVector.zero(S), acc3 = FloatVector.zero(S);
            for (int bound = dim - 4 * L; i <= bound; i += 4 * L) {
                acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
                acc1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), acc1);
                acc2 = FloatVector.fromArray(S, a, ao + i + 2 * L).fma(FloatVector.fromArray(S, b, bo + i + 2 * L), acc2);
                acc3 = FloatVector.fromArray(S, a, ao + i + 3 * L).fma(FloatVector.fromArray(S, b, bo + i + 3 * L), acc3);
            }
            for (int bound = dim - L; i <= bound; i += L) {
                acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
            }
            sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        }
        for (; i < dim; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    @Override
    public void squaredL2x4(float[] q, int qo, float[] data, int o0, int o1, int o2, int o3, int dim, float[] out) {
        int i = 0;
        zero4(out);
        if (dim >= L) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            FloatVector acc2 = FloatVector.zero(S), acc3 = FloatVector.zero(S);
            for (int bound = dim - L; i <= bound; i += L) {
                FloatVector x = FloatVector.fromArray(S, q, qo + i);
                FloatVector d0 = x.sub(FloatVector.fromArray(S, data, o0 + i));
                FloatVector d1 = x.sub(FloatVector.fromArray(S, data, o1 + i));
                FloatVector d2 = x.sub(FloatVector.fromArray(S, data, o2 + i));
                FloatVector d3 = x.sub(FloatVector.fromArray(S, data, o3 + i));
                acc0 = d0.fma(d0, acc0);
                acc1 = d1.fma(d1, acc1);
                acc2 = d2.fma(d2, acc2);
                acc3 = d3.fma(d3, acc3);
            }
            reduce4(acc0, acc1, acc2, acc3, out);
        }
        for (; i < dim; i++) {
            float x = q[qo + i];
            float d0 = x - data[o0 + i], d1 = x - data[o1 + i], d2 = x - data[o2 + i], d3 = x - data[o3 + i];
            out[0] += d0 * d0;
            out[1] += d1 * d1;
            out[2] += d2 * d2;
            out[3] += d3 * d3;
        }
    }

    @Override
    public void dotx4(float[] q, int qo, float[] data, int o0, int o1, int o2, int o3, int dim, float[] out) {
        int i = 0;
        zero4(out);
        if (dim >= L) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            FloatVector acc2 = FloatVector.zero(S), acc3 = FloatVector.zero(S);
            for (int bound = dim - L; i <= bound; i += L) {
                FloatVector x = FloatVector.fromArray(S, q, qo + i);
                acc0 = x.fma(FloatVector.fromArray(S, data, o0 + i), acc0);
                acc1 = x.fma(FloatVector.fromArray(S, data, o1 + i), acc1);
                acc2 = x.fma(FloatVector.fromArray(S, data, o2 + i), acc2);
                acc3 = x.fma(FloatVector.fromArray(S, data, o3 + i), acc3);
            }
            reduce4(acc0, acc1, acc2, acc3, out);
        }
        for (; i < dim; i++) {
            float x = q[qo + i];
            out[0] += x * data[o0 + i];
            out[1] += x * data[o1 + i];
            out[2] += x * data[o2 + i];
            out[3] += x * data[o3 + i];
        }
    }

    /**
     * Where a code kernel's whole vectors end: past {@code dim} when the weights and every row have the
     * padding of {@link Kernels#CODE_PADDING} (the tail is then one more vector against zero weights), else
     * at the last whole vector, before a scalar tail. {@code weights} is the weight array's length,
     * {@code lastRow} the largest row offset read.
     */
    private static int vectorEnd(int weights, int codesLength, int lastRow, int dim) {
        int padded = (dim + L - 1) & -L;
        return weights >= padded && lastRow + padded <= codesLength ? padded : dim & -L;
    }

    @Override
    public long dotToCodes(int[] w, byte[] codes, int offset, int dim) {
        if (B == null) {
            return ScalarKernels.dotToCodesFrom(0, w, codes, offset, dim);
        }
        int end = vectorEnd(w.length, codes.length, offset, dim);
        long sum = 0;
        for (int block = 0; block < end; block += CODE_BLOCK) {
            int blockEnd = Math.min(end, block + CODE_BLOCK);
            int i = block;
            IntVector acc0 = IntVector.zero(I), acc1 = IntVector.zero(I);
            for (; i + L < blockEnd; i += 2 * L) {
                acc0 = widenToInts(codes, offset + i).mul(IntVector.fromArray(I, w, i)).add(acc0);
                acc1 = widenToInts(codes, offset + i + L).mul(IntVector.fromArray(I, w, i + L)).add(acc1);
            }
            if (i < blockEnd) {
                acc0 = widenToInts(codes, offset + i).mul(IntVector.fromArray(I, w, i)).add(acc0);
            }
            sum += acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }
        return end >= dim ? sum : sum + ScalarKernels.dotToCodesFrom(end, w, codes, offset, dim);
    }

    @Override
    public void dotToCodes4(int[] w, byte[] codes, int o0, int o1, int o2, int o3, int dim, float[] out) {
        int end = B == null ? 0 : vectorEnd(w.length, codes.length, Math.max(Math.max(o0, o1), Math.max(o2, o3)), dim);
        long s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int block = 0; block < end; block += CODE_BLOCK) {
            int blockEnd = Math.min(end, block + CODE_BLOCK);
            IntVector acc0 = IntVector.zero(I), acc1 = IntVector.zero(I);
            IntVector acc2 = IntVector.zero(I), acc3 = IntVector.zero(I);
            for (int i = block; i < blockEnd; i += L) {
                IntVector x = IntVector.fromArray(I, w, i);
                acc0 = widenToInts(codes, o0 + i).mul(x).add(acc0);
                acc1 = widenToInts(codes, o1 + i).mul(x).add(acc1);
                acc2 = widenToInts(codes, o2 + i).mul(x).add(acc2);
                acc3 = widenToInts(codes, o3 + i).mul(x).add(acc3);
            }
            s0 += acc0.reduceLanes(VectorOperators.ADD);
            s1 += acc1.reduceLanes(VectorOperators.ADD);
            s2 += acc2.reduceLanes(VectorOperators.ADD);
            s3 += acc3.reduceLanes(VectorOperators.ADD);
        }
        if (end < dim) {
            s0 += ScalarKernels.dotToCodesFrom(end, w, codes, o0, dim);
            s1 += ScalarKernels.dotToCodesFrom(end, w, codes, o1, dim);
            s2 += ScalarKernels.dotToCodesFrom(end, w, codes, o2, dim);
            s3 += ScalarKernels.dotToCodesFrom(end, w, codes, o3, dim);
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }

    @Override
    public float codeDot(byte[] a, int ao, byte[] b, int bo, float[] w, int dim) {
        if (B == null) {
            return ScalarKernels.codeDotFrom(0, a, ao, b, bo, w, dim);
        }
        int end = Math.min(vectorEnd(w.length, a.length, ao, dim), vectorEnd(w.length, b.length, bo, dim));
        int i = 0;
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        for (; i + L < end; i += 2 * L) {
            acc0 = widen(a, ao + i).mul(widen(b, bo + i)).fma(FloatVector.fromArray(S, w, i), acc0);
            acc1 = widen(a, ao + i + L).mul(widen(b, bo + i + L)).fma(FloatVector.fromArray(S, w, i + L), acc1);
        }
        if (i < end) {
            acc0 = widen(a, ao + i).mul(widen(b, bo + i)).fma(FloatVector.fromArray(S, w, i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        return end >= dim ? sum : sum + ScalarKernels.codeDotFrom(end, a, ao, b, bo, w, dim);
    }

    @Override
    public void columns(float[] q, float[] columns, int width, int rows, int dim, boolean l2, float[] out) {
        // Four vectors of rows at a time: four independent FMA chains, one broadcast of q[d] for all of them.
        // The metric's test is the same in every iteration: the JIT moves it out of the loop.
        int r = 0;
        for (; r < rows && r + 4 * L <= width; r += 4 * L) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            FloatVector acc2 = FloatVector.zero(S), acc3 = FloatVector.zero(S);
            for (int d = 0, at = r; d < dim; d++, at += width) {
                FloatVector qd = FloatVector.broadcast(S, q[d]);
                FloatVector x0 = FloatVector.fromArray(S, columns, at);
                FloatVector x1 = FloatVector.fromArray(S, columns, at + L);
                FloatVector x2 = FloatVector.fromArray(S, columns, at + 2 * L);
                FloatVector x3 = FloatVector.fromArray(S, columns, at + 3 * L);
                if (l2) {
                    x0 = x0.sub(qd);
                    x1 = x1.sub(qd);
                    x2 = x2.sub(qd);
                    x3 = x3.sub(qd);
                    acc0 = x0.fma(x0, acc0);
                    acc1 = x1.fma(x1, acc1);
                    acc2 = x2.fma(x2, acc2);
                    acc3 = x3.fma(x3, acc3);
                } else {
                    acc0 = x0.fma(qd, acc0);
                    acc1 = x1.fma(qd, acc1);
                    acc2 = x2.fma(qd, acc2);
                    acc3 = x3.fma(qd, acc3);
                }
            }
            acc0.intoArray(out, r);
            acc1.intoArray(out, r + L);
            acc2.intoArray(out, r + 2 * L);
            acc3.intoArray(out, r + 3 * L);
        }
        if (r < rows) {
            // Only where four vectors exceed a tile's width (more than 16 lanes, none on x86).
            ScalarKernels.columnsFrom(r, q, columns, width, rows, dim, l2, out);
        }
    }

    @Override
    public String description() {
        return "SIMD (jdk.incubator.vector, " + S.vectorBitSize() + "-bit, " + L + " float lanes, FMA)";
    }
}
