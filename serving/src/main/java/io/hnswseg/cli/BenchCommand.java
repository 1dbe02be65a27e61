package io.hnswseg.cli;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.eval.Benchmark;
import io.hnswseg.eval.BruteForce;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.LocalFiles;
import io.hnswseg.io.VecsReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code hnswseg bench}: builds one graph in process and measures build speed, recall and query speed. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Build one HNSW graph in process over an fvecs file and report build speed, recall@10 and queries/s per ef.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--base", required = true, description = "vectors to index (.fvecs or .bvecs)")
    Path base;

    @Option(names = "--queries", required = true, description = "query vectors (.fvecs or .bvecs)")
    Path queries;

    @Option(names = "--groundtruth", required = true, description = "exact neighbours of each query (.ivecs, row numbers of --base)")
    Path groundTruth;

    @Option(names = "--metric", defaultValue = "l2", description = "l2, ip or cosine (default: ${DEFAULT-VALUE})")
    String metric;

    @Option(names = "--m", defaultValue = "16", description = "links per node, 2M on layer 0 (default: ${DEFAULT-VALUE})")
    int m;

    @Option(names = "--ef-construction", defaultValue = "100", description = "build beam width (default: ${DEFAULT-VALUE})")
    int efConstruction;

    @Option(names = "--ef", defaultValue = "10,20,40,80,160,320", split = ",", description = "search beam widths (default: ${DEFAULT-VALUE})")
    int[] efs;

    @Option(names = "--threads", defaultValue = "1", description = "build threads (default: ${DEFAULT-VALUE}); queries use one thread")
    int threads;

    @Option(names = "--seed", defaultValue = "42", description = "level seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--limit", defaultValue = "0",
            description = "index only the first N base vectors (0: all); the ground truth is then recomputed by brute force")
    int limit;

    @Option(names = "--warmup", defaultValue = "10000", description = "vectors of the untimed warm-up build (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--reps", defaultValue = "3", description = "timed passes over the queries per ef; the median is reported (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--float-only", description = "build and search without the int8 codes (float vectors throughout)")
    boolean floatOnly;

    @Option(names = "--json", description = "also write the figures to this JSON file")
    Path json;

    @Option(names = "--overwrite", description = "replace an existing --json file")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        LocalFiles.checkOutput("--json", json, overwrite, base, queries, groundTruth);
        HnswParams params = new HnswParams(m, efConstruction, seed, Metric.parse(metric), !floatOnly);
        if (efConstruction < m) {
            // Before the files are read and any ground truth computed; the builder refuses it too.
            throw new IllegalArgumentException(io.hnswseg.hnsw.HnswGraphBuilder.beamBelowM(efConstruction, m));
        }
        Benchmark.checkEfs(efs);
        FloatMatrix baseVectors = VecsReader.readFloats(base, limit > 0 ? limit : Integer.MAX_VALUE);
        FloatMatrix queryVectors = VecsReader.readFloats(queries, Integer.MAX_VALUE);
        int[][] truth = VecsReader.readInts(groundTruth);
        if (queryVectors.dimension() != baseVectors.dimension()) {
            throw new IllegalArgumentException("queries have dimension " + queryVectors.dimension() + " in " + queries + ", base "
                    + baseVectors.dimension() + " in " + base);
        }
        String unresolvable = Vectors.resolutionProblem(baseVectors.data(), baseVectors.rows(), baseVectors.dimension(),
                params.metric(), queryVectors.data(), queryVectors.rows());
        if (unresolvable != null) {
            throw new IllegalArgumentException(base + unresolvable);
        }
        if (limit > 0) {
            // The file's ground truth is for the whole base set; the first N rows need their own.
            truth = BruteForce.nearest(baseVectors, queryVectors, Math.min(100, baseVectors.rows()), Metric.parse(metric));
            System.out.printf("bench: ground truth for the first %d vectors recomputed by brute force%n", baseVectors.rows());
        }
        System.out.printf("bench: %d x %d base vectors from %s, %d queries, metric %s, M=%d efConstruction=%d, %d build thread(s), %s%n",
                baseVectors.rows(), baseVectors.dimension(), base, queryVectors.rows(), params.metric().externalName(), m,
                efConstruction, threads, floatOnly ? "float vectors only" : "int8 codes to build and walk, float re-rank");
        Benchmark.Report report = Benchmark.run(baseVectors, queryVectors, truth, params, threads, efs, warmup, reps);
        System.out.printf("kernels: %s%n", report.kernels());
        System.out.printf("scoring: %s%n", report.scoring());
        System.out.printf("build: %.2f s, %.0f vectors/s; layer-0 nodes unreachable from the entry node: %d%n",
                report.buildSeconds(), report.vectorsPerSecond(), report.unreachable());
        System.out.printf("memory: graph %.1f MB on the heap (%.0f bytes/vector), segment file %.1f MB (%.0f bytes/vector), "
                        + "peak heap during the build %.1f MB%n", report.graphBytes() / 1e6, report.graphBytes() / (double) report.vectors(),
                report.segmentBytes() / 1e6, report.segmentBytes() / (double) report.vectors(), report.peakHeapBytes() / 1e6);
        System.out.printf("%8s %12s %12s %10s %10s%n", "ef", "recall@10", "queries/s", "mean ms", "p99 ms");
        for (Benchmark.Run run : report.runs()) {
            System.out.printf("%8d %12.4f %12.0f %10.3f %10.3f%n", run.ef(), run.recallAt10(), run.qps(), run.meanMs(), run.p99Ms());
        }
        if (json != null) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("vectors", report.vectors());
            out.put("threads", report.threads());
            out.put("m", report.m());
            out.put("ef_construction", report.efConstruction());
            out.put("metric", report.metric());
            out.put("quantized", !floatOnly);
            out.put("scoring", report.scoring());
            out.put("kernels", report.kernels());
            out.put("build_seconds", report.buildSeconds());
            out.put("vectors_per_second", report.vectorsPerSecond());
            out.put("graph_bytes", report.graphBytes());
            out.put("segment_bytes", report.segmentBytes());
            out.put("peak_heap_bytes", report.peakHeapBytes());
            out.put("unreachable_nodes", report.unreachable());
            out.put("runs", report.runs().stream().map(r -> Map.of("ef", r.ef(), "recall_at_10", r.recallAt10(), "qps", r.qps(),
                    "mean_ms", r.meanMs(), "p99_ms", r.p99Ms())).toList());
            Json.write(json, out);
            System.out.println("wrote " + json);
        }
        return 0;
    }
}
