package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.testing.Fixtures;
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

import java.util.concurrent.TimeUnit;

/**
 * Insert and search on a generated clustered set (20,000 x 128, M=16, efConstruction=100): build time of
 * the whole set with 1 and 2 threads, with and without int8 construction scoring, and µs per query at
 * ef=64. Run with {@code bin/jmh GraphBenchmark}.
 */
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Benchmark)
public class GraphBenchmark {

    @Param({"1", "2"})
    int threads;

    @Param({"true", "false"})
    boolean quantized;

    private FloatMatrix base;
    private FloatMatrix queries;
    private HnswGraph graph;
    private int next;

    @Setup
    public void setup() {
        FloatMatrix[] data = Fixtures.clustered(20_000, 1_000, 128, 1);
        base = data[0];
        queries = data[1];
        graph = Fixtures.build(base, params(), 2);
    }

    private HnswParams params() {
        return new HnswParams(16, 100, 42, Metric.L2, quantized);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public HnswGraph build20k() {
        return Fixtures.build(base, params(), threads);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public SearchResults searchEf64() {
        int q = next++ % queries.rows();
        return graph.search(queries.row(q), 10, 64);
    }
}
