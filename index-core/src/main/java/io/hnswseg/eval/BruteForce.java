package io.hnswseg.eval;

import io.hnswseg.distance.ColumnTile;
import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.io.FloatMatrix;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/** Exact nearest neighbours by scanning every vector: the ground truth that recall is measured against. */
public final class BruteForce {

    private BruteForce() {
    }

    /**
     * For each query, the row numbers of the {@code k} nearest base vectors, nearest first (ties: lower row
     * first). The queries are split into blocks that run in parallel on the common pool; each block streams
     * the base through a {@link ColumnTile}, scoring all of its queries against one tile at a time.
     */
    public static int[][] nearest(FloatMatrix base, FloatMatrix queries, int k, Metric metric) {
        FloatMatrix b = metric.normalizes() ? normalized(base) : base;
        FloatMatrix q = metric.normalizes() ? normalized(queries) : queries;
        int n = Math.min(k, b.rows());
        int[][] rows = new int[q.rows()][n];
        if (n == 0) {
            return rows;
        }
        int blocks = Math.max(1, Math.min(q.rows(), 4 * ForkJoinPool.getCommonPoolParallelism()));
        IntStream.range(0, blocks).parallel().forEach(block ->
                scan(b, q, q.rows() * block / blocks, q.rows() * (block + 1) / blocks, metric, rows));
        return rows;
    }

    /** Fills {@code rows[from..to)}, each with the nearest rows of {@code base} to that query. */
    private static void scan(FloatMatrix base, FloatMatrix queries, int from, int to, Metric metric, int[][] rows) {
        int dim = base.dimension();
        float[][] query = new float[to - from][];
        float[][] distances = new float[to - from][];
        for (int i = 0; i < query.length; i++) {
            query[i] = queries.row(from + i);
            distances[i] = new float[rows[from + i].length];
        }
        ColumnTile.scan(metric, dim, base.rows(), (row, into) -> System.arraycopy(base.data(), row * dim, into, 0, dim), query,
                java.util.Arrays.copyOfRange(rows, from, to), distances);
    }

    private static FloatMatrix normalized(FloatMatrix m) {
        float[] copy = m.data().clone();
        for (int r = 0; r < m.rows(); r++) {
            Vectors.normalize(copy, r * m.dimension(), m.dimension());
        }
        return new FloatMatrix(m.dimension(), m.rows(), copy);
    }
}
