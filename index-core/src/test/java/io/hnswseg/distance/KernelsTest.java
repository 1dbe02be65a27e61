package io.hnswseg.distance;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelsTest {

    private final Kernels simd = new SimdKernels();
    private final Kernels scalar = new ScalarKernels();

    @Test
    void testsRunWithTheSimdKernels() {
        // Surefire passes --add-modules jdk.incubator.vector: if it stops doing so this fails loudly.
        assertTrue(VectorKernels.isSimd(), VectorKernels.implementation());
    }

    @Test
    void simdMatchesScalarForEveryDimensionUpTo1100() {
        SplittableRandom random = new SplittableRandom(1);
        float[] out1 = new float[4];
        float[] out2 = new float[4];
        for (int dim = 1; dim <= 1100; dim++) {
            // Offsets make the kernels read from the middle of arrays, as they do in the graph.
            float[] a = randomArray(random, 3 + dim);
            float[] b = randomArray(random, 5 * dim + 7);
            assertClose(scalar.squaredL2(a, 3, b, 7, dim), simd.squaredL2(a, 3, b, 7, dim), absSum(a, 3, b, 7, dim, true), dim);
            assertClose(scalar.dot(a, 3, b, 7, dim), simd.dot(a, 3, b, 7, dim), absSum(a, 3, b, 7, dim, false), dim);
            int[] o = {7, 7 + dim, 7 + 2 * dim, 7 + 4 * dim};
            simd.squaredL2x4(a, 3, b, o[0], o[1], o[2], o[3], dim, out1);
            scalar.squaredL2x4(a, 3, b, o[0], o[1], o[2], o[3], dim, out2);
            for (int j = 0; j < 4; j++) {
                assertClose(out2[j], out1[j], absSum(a, 3, b, o[j], dim, true), dim);
                assertClose(scalar.squaredL2(a, 3, b, o[j], dim), out1[j], absSum(a, 3, b, o[j], dim, true), dim);
            }
            simd.dotx4(a, 3, b, o[0], o[1], o[2], o[3], dim, out1);
            scalar.dotx4(a, 3, b, o[0], o[1], o[2], o[3], dim, out2);
            for (int j = 0; j < 4; j++) {
                assertClose(out2[j], out1[j], absSum(a, 3, b, o[j], dim, false), dim);
            }
        }
    }

    @Test
    void codeKernelsMatchScalarForEveryDimensionUpTo1100PaddedOrNot() {
        SplittableRandom random = new SplittableRandom(2);
        float[] out1 = new float[4];
        float[] out2 = new float[4];
        for (int dim = 1; dim <= 1100; dim += (dim < 70 ? 1 : 13)) {
            for (boolean padded : new boolean[] {true, false}) {
                // Unpadded: the last row ends the array and the weights end at dim, so the tail is scalar.
                int pad = padded ? Kernels.CODE_PADDING : 0;
                byte[] codes = new byte[6 * dim + pad];
                for (int i = 0; i < codes.length; i++) {
                    codes[i] = (byte) random.nextInt(256);
                }
                float[] w = java.util.Arrays.copyOf(randomArray(random, dim), dim + pad);
                float tolerance = dim * 128f * 128f * 4;
                String where = dim + (padded ? " padded" : " unpadded");
                assertClose(scalar.codeDot(codes, 0, codes, 5 * dim, w, dim), simd.codeDot(codes, 0, codes, 5 * dim, w, dim), tolerance, where);
                // Integer weights at the largest magnitude a CodeQuery gives them: the sums must be exact.
                int steps = Integer.MAX_VALUE / (128 * Math.min(dim, Kernels.CODE_BLOCK));
                int[] iw = new int[dim + pad];
                for (int i = 0; i < dim; i++) {
                    iw[i] = random.nextInt(2 * steps + 1) - steps;
                }
                iw[random.nextInt(dim)] = random.nextBoolean() ? steps : -steps;
                // All weights at one sign's extreme: a block's int sum at its largest (would wrap if blocks were longer).
                int[] extreme = new int[dim + pad];
                for (int i = 0; i < dim; i++) {
                    extreme[i] = codes[5 * dim + i] < 0 ? -steps : steps;
                }
                assertEquals(exactDot(extreme, codes, 5 * dim, dim), simd.dotToCodes(extreme, codes, 5 * dim, dim), where);
                assertEquals(exactDot(iw, codes, 5 * dim, dim), simd.dotToCodes(iw, codes, 5 * dim, dim), where);
                assertEquals(exactDot(iw, codes, 5 * dim, dim), scalar.dotToCodes(iw, codes, 5 * dim, dim), where);
                int[] rows = {0, dim, 2 * dim, 5 * dim};
                simd.dotToCodes4(iw, codes, rows[0], rows[1], rows[2], rows[3], dim, out1);
                scalar.dotToCodes4(iw, codes, rows[0], rows[1], rows[2], rows[3], dim, out2);
                for (int j = 0; j < 4; j++) {
                    assertEquals((float) exactDot(iw, codes, rows[j], dim), out1[j], where + " row " + j);
                    assertEquals(out2[j], out1[j], where + " row " + j);
                }
            }
        }
    }

    @Test
    void edgeValues() {
        float[][] specials = {
                {0f, 0f, 0f}, {-0f, 0f, -0f}, {Float.MIN_VALUE, -Float.MIN_VALUE, 1e-38f}, {1e18f, -1e18f, 3e18f},
                {Float.MAX_VALUE / 1e20f, 1f, -1f}, {1f, -1f, 0.5f},
        };
        for (float[] pattern : specials) {
            for (int dim : new int[]{1, 15, 16, 17, 64, 65, 128, 129}) {
                float[] a = new float[dim];
                float[] b = new float[dim];
                for (int i = 0; i < dim; i++) {
                    a[i] = pattern[i % pattern.length];
                    b[i] = pattern[(i + 1) % pattern.length];
                }
                assertClose(scalar.squaredL2(a, 0, b, 0, dim), simd.squaredL2(a, 0, b, 0, dim), absSum(a, 0, b, 0, dim, true), dim);
                assertClose(scalar.dot(a, 0, b, 0, dim), simd.dot(a, 0, b, 0, dim), absSum(a, 0, b, 0, dim, false), dim);
                assertEquals(0f, simd.squaredL2(a, 0, a, 0, dim), "distance of a vector to itself, dim " + dim);
            }
        }
    }

    @Test
    void knownValues() {
        float[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
        float[] b = new float[19];
        assertEquals(2470f, simd.squaredL2(a, 0, b, 0, 19));
        assertEquals(2470f, simd.dot(a, 0, a, 0, 19));
        assertEquals(2470f, scalar.dot(a, 0, a, 0, 19));
    }

    /** The integer code kernel's sum in long arithmetic, which cannot overflow. */
    private static long exactDot(int[] w, byte[] codes, int offset, int dim) {
        long sum = 0;
        for (int i = 0; i < dim; i++) {
            sum += (long) w[i] * codes[offset + i];
        }
        return sum;
    }

    @Test
    void columnKernelsMatchTheRowKernelsForEveryRowCount() {
        SplittableRandom random = new SplittableRandom(3);
        for (int dim : new int[] {1, 3, 16, 100, 128, 131, 784}) {
            for (int width : new int[] {ColumnTile.GROUP, 17, 100}) {
                for (int rows = 1; rows <= width; rows += (rows < 20 ? 1 : 7)) {
                    float[] data = randomArray(random, rows * dim);
                    float[] q = randomArray(random, dim);
                    float[] columns = new float[width * dim];
                    for (int r = 0; r < rows; r++) {
                        for (int d = 0; d < dim; d++) {
                            columns[d * width + r] = data[r * dim + d];
                        }
                    }
                    for (Kernels k : new Kernels[] {simd, scalar}) {
                        float[] l2 = new float[width];
                        float[] dot = new float[width];
                        k.columns(q, columns, width, rows, dim, true, l2);
                        k.columns(q, columns, width, rows, dim, false, dot);
                        String at = k.description() + ", dim " + dim + ", width " + width + ", rows " + rows;
                        for (int r = 0; r < rows; r++) {
                            assertClose(scalar.squaredL2(q, 0, data, r * dim, dim), l2[r], absSum(q, 0, data, r * dim, dim, true), at + ", row " + r);
                            assertClose(scalar.dot(q, 0, data, r * dim, dim), dot[r], absSum(q, 0, data, r * dim, dim, false), at + ", row " + r);
                        }
                    }
                }
            }
        }
    }

    private static float[] randomArray(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** Sum of absolute terms: float rounding error is relative to it, not to the (possibly cancelling) result. */
    private static float absSum(float[] a, int ao, float[] b, int bo, int dim, boolean l2) {
        double s = 0;
        for (int i = 0; i < dim; i++) {
            double x = a[ao + i];
            double y = b[bo + i];
            s += l2 ? (x - y) * (x - y) : Math.abs(x * y);
        }
        return (float) Math.min(s, Float.MAX_VALUE);
    }

    private static void assertClose(float expected, float actual, float scale, Object dim) {
        scale = Math.max(scale, Math.abs(expected));
        float tolerance = 1e-5f * scale + 1e-30f;
        assertTrue(Math.abs(expected - actual) <= tolerance || expected == actual,
                "dim " + dim + ": expected " + expected + " got " + actual + " (tolerance " + tolerance + ")");
    }
}
