package io.hnswseg.eval;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.io.FloatMatrix;

import java.util.stream.IntStream;

/** Exact nearest neighbours by scanning every vector: the ground truth that recall is measured against. */
public final class BruteForce {

    private BruteForce() {
    }

    /**
     * For each query, the row numbers of the {@code k} nearest base vectors, nearest first (ties: lower row
     * first). Queries run in parallel on the common pool.
     */
    public static int[][] nearest(FloatMatrix base, FloatMatrix queries, int k, Metric metric) {
        FloatMatrix b = metric.normalizes() ? normalized(base) : base;
        FloatMatrix q = metric.normalizes() ? normalized(queries) : queries;
        int dim = b.dimension();
        int[][] result = new int[q.rows()][];
        IntStream.range(0, q.rows()).parallel().forEach(qi -> {
            int n = Math.min(k, b.rows());
            int[] rows = new int[n];
            float[] dist = new float[n];
            int filled = 0;
            for (int r = 0; r < b.rows(); r++) {
                float d = metric.distance(q.data(), qi * dim, b.data(), r * dim, dim);
                if (filled < n || d < dist[n - 1]) {
                    // Insertion into the sorted top-n; strict '>' keeps the lower row first on ties.
                    int i = filled < n ? filled++ : n - 1;
                    while (i > 0 && dist[i - 1] > d) {
                        dist[i] = dist[i - 1];
                        rows[i] = rows[i - 1];
                        i--;
                    }
                    dist[i] = d;
                    rows[i] = r;
                }
            }
            result[qi] = rows;
        });
        return result;
    }

    private static FloatMatrix normalized(FloatMatrix m) {
        float[] copy = m.data().clone();
        for (int r = 0; r < m.rows(); r++) {
            Vectors.normalize(copy, r * m.dimension(), m.dimension());
        }
        return new FloatMatrix(m.dimension(), m.rows(), copy);
    }
}
