package io.hnswseg.eval;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsReader;

import java.nio.file.Path;

public class QuickBench {
    public static void main(String[] a) throws Exception {
        Path dir = Path.of(a[0]);
        int threads = Integer.parseInt(a[1]);
        FloatMatrix base = VecsReader.readFloats(dir.resolve("base.fvecs"), Integer.MAX_VALUE);
        FloatMatrix q = VecsReader.readFloats(dir.resolve("query.fvecs"), Integer.MAX_VALUE);
        int[][] gt = VecsReader.readInts(dir.resolve("groundtruth.ivecs"));
        Benchmark.Report r = Benchmark.run(base, q, gt, new HnswParams(16, 100, 42, Metric.L2), threads, new int[]{10, 20, 40, 80, 160}, 10000, 3);
        System.out.println(r);
    }
}
