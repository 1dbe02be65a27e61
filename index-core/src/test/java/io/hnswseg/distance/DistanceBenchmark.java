package io.hnswseg.distance;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * ns per distance of the SIMD and scalar kernels (one pair, hot in cache), and of the four-at-once kernel
 * per distance. Run with {@code bin/jmh DistanceBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@State(Scope.Thread)
public class DistanceBenchmark {

    @Param({"96", "128", "384", "768", "1536"})
    int dim;

    @Param({"simd", "scalar"})
    String kernels;

    private Kernels k;
    private float[] a;
    private float[] b;
    private final float[] out = new float[4];
    /** int8 codes of four rows (and the kernels' padding) and per-dimension weights, for the code kernels. */
    private byte[] codes;
    private float[] weights;
    private int[] intWeights;

    @Setup
    public void setup() {
        k = kernels.equals("simd") ? new SimdKernels() : new ScalarKernels();
        SplittableRandom random = new SplittableRandom(1);
        a = new float[dim];
        b = new float[4 * dim];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextDouble();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) random.nextDouble();
        }
        codes = new byte[4 * dim + Kernels.CODE_PADDING];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) random.nextInt(256);
        }
        weights = new float[dim + Kernels.CODE_PADDING];
        for (int i = 0; i < dim; i++) {
            weights[i] = (float) (random.nextDouble() / 256);
        }
        intWeights = new int[dim + Kernels.CODE_PADDING];
        for (int i = 0; i < dim; i++) {
            intWeights[i] = random.nextInt(1 << 12) - (1 << 11);
        }
    }

    @Benchmark
    public float squaredL2() {
        return k.squaredL2(a, 0, b, 0, dim);
    }

    @Benchmark
    public float dot() {
        return k.dot(a, 0, b, 0, dim);
    }

    /** Four distances per call: divide by four for ns per distance. */
    @Benchmark
    public float[] squaredL2x4() {
        k.squaredL2x4(a, 0, b, 0, dim, 2 * dim, 3 * dim, dim, out);
        return out;
    }

    /**
     * A query's integer weights against four rows of int8 codes (how a search and an insert walk the graph,
     * for every metric; see {@link CodeQuery}): divide by four.
     */
    @Benchmark
    public float[] dotToCodes4() {
        k.dotToCodes4(intWeights, codes, 0, dim, 2 * dim, 3 * dim, dim, out);
        return out;
    }

    /** Two rows of codes (how the builder's neighbour selection compares two nodes). */
    @Benchmark
    public float codeDot() {
        return k.codeDot(codes, 0, codes, dim, weights, dim);
    }
}
