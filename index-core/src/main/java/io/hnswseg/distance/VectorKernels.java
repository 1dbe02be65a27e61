package io.hnswseg.distance;

/**
 * Entry point to the float32 kernels. The implementation is chosen once when this class initialises:
 * SIMD when the JVM was started with {@code --add-modules jdk.incubator.vector}, scalar otherwise. The
 * choice is logged (logger {@code io.hnswseg.distance}) and available from {@link #implementation()}.
 */
public final class VectorKernels {

    /** Static final, so the JIT sees one receiver class and inlines the kernel into the search loop. */
    private static final Kernels KERNELS = load();

    private VectorKernels() {
    }

    private static Kernels load() {
        Kernels chosen;
        if (Boolean.getBoolean("hnswseg.scalar") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            chosen = new ScalarKernels();
        } else {
            try {
                chosen = (Kernels) Class.forName("io.hnswseg.distance.SimdKernels").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                chosen = new ScalarKernels();
            }
        }
        System.getLogger("io.hnswseg.distance").log(System.Logger.Level.INFO, "hnswseg distance kernels: " + chosen.description());
        return chosen;
    }

    /** A one-line description of the kernels in use, e.g. for a benchmark report. */
    public static String implementation() {
        return KERNELS.description();
    }

    /** Whether the SIMD kernels are in use. */
    public static boolean isSimd() {
        return !(KERNELS instanceof ScalarKernels);
    }

    public static float squaredL2(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        return KERNELS.squaredL2(a, aOffset, b, bOffset, dim);
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        return KERNELS.dot(a, aOffset, b, bOffset, dim);
    }

    static void squaredL2x4(float[] q, int qo, float[] data, int o0, int o1, int o2, int o3, int dim, float[] out) {
        KERNELS.squaredL2x4(q, qo, data, o0, o1, o2, o3, dim, out);
    }

    static void columns(float[] q, float[] columns, int width, int rows, int dim, boolean l2, float[] out) {
        KERNELS.columns(q, columns, width, rows, dim, l2, out);
    }

    static void dotx4(float[] q, int qo, float[] data, int o0, int o1, int o2, int o3, int dim, float[] out) {
        KERNELS.dotx4(q, qo, data, o0, o1, o2, o3, dim, out);
    }

    static long dotToCodes(int[] w, byte[] codes, int offset, int dim) {
        return KERNELS.dotToCodes(w, codes, offset, dim);
    }

    static void dotToCodes4(int[] w, byte[] codes, int o0, int o1, int o2, int o3, int dim, float[] out) {
        KERNELS.dotToCodes4(w, codes, o0, o1, o2, o3, dim, out);
    }

    static float codeDot(byte[] a, int ao, byte[] b, int bo, float[] w, int dim) {
        return KERNELS.codeDot(a, ao, b, bo, w, dim);
    }
}
