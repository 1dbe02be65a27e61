package io.hnswseg.testing;

import io.hnswseg.distance.Metric;
import io.hnswseg.eval.BruteForce;
import io.hnswseg.eval.Recall;
import io.hnswseg.eval.SyntheticData;
import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.HnswGraphBuilder;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.hnsw.VectorIndex;
import io.hnswseg.io.FloatMatrix;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Shared test data: generated clustered sets with exact ground truth, graph builds, recall. */
public final class Fixtures {

    /** Where the team's real datasets live, relative to the module directory surefire runs in. */
    public static final Path DATASETS = Path.of("../../shared/datasets");

    private Fixtures() {
    }

    /** A clustered base set and queries drawn from the same clusters (not base rows). */
    public static FloatMatrix[] clustered(int rows, int queries, int dim, long seed) {
        FloatMatrix all = SyntheticData.clustered(rows + queries, dim, 50, seed);
        float[] q = new float[queries * dim];
        System.arraycopy(all.data(), rows * dim, q, 0, q.length);
        return new FloatMatrix[]{all.head(rows), new FloatMatrix(dim, queries, q)};
    }

    /**
     * {@link #clustered} with every 500th base row from row 100 scaled by {@code factor} (for cosine, one
     * component of it: scaling a whole vector changes nothing there): outliers that stretch the quantizer's ranges.
     */
    public static FloatMatrix[] withOutliers(int rows, int queries, int dim, long seed, Metric metric, float factor) {
        FloatMatrix[] data = clustered(rows, queries, dim, seed);
        float[] v = data[0].data();
        for (int row = 100; row < rows; row += 500) {
            if (metric == Metric.COSINE) {
                v[row * dim + row % dim] *= factor;
            } else {
                for (int d = 0; d < dim; d++) {
                    v[row * dim + d] *= factor;
                }
            }
        }
        return data;
    }

    /** Base rows and queries of independent Student's t components with 2 degrees of freedom (infinite variance). */
    public static FloatMatrix[] heavyTailed(int rows, int queries, int dim, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] all = new float[(rows + queries) * dim];
        for (int i = 0; i < all.length; i++) {
            double chi2 = -2 * Math.log(1 - random.nextDouble());
            double gaussian = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
            all[i] = (float) (gaussian / Math.sqrt(chi2 / 2));
        }
        return new FloatMatrix[]{new FloatMatrix(dim, rows, Arrays.copyOf(all, rows * dim)),
                new FloatMatrix(dim, queries, Arrays.copyOfRange(all, rows * dim, all.length))};
    }

    public static HnswGraph build(FloatMatrix base, HnswParams params, int threads) {
        HnswGraphBuilder builder = new HnswGraphBuilder(base.dimension(), base.rows(), params);
        for (int r = 0; r < base.rows(); r++) {
            builder.add(r, base.data(), r * base.dimension());
        }
        return builder.build(threads);
    }

    public static long[][] searchAll(VectorIndex index, FloatMatrix queries, int k, int ef) {
        long[][] found = new long[queries.rows()][];
        for (int q = 0; q < queries.rows(); q++) {
            found[q] = index.search(queries.row(q), k, ef).ids();
        }
        return found;
    }

    public static double recall(VectorIndex index, FloatMatrix queries, int[][] truth, int ef) {
        return Recall.atK(searchAll(index, queries, 10, ef), truth, 10);
    }

    public static int[][] truth(FloatMatrix base, FloatMatrix queries, Metric metric) {
        return BruteForce.nearest(base, queries, 10, metric);
    }

    /** Relative tolerance of {@link #assertSameResults}: a few ulps of float32. */
    public static final double SAME_RESULTS_TOLERANCE = 1e-6;

    /** Same ids in the same order, distances equal to float rounding (see {@code SearchResults.matches}). */
    public static void assertSameResults(io.hnswseg.hnsw.SearchResults expected, io.hnswseg.hnsw.SearchResults actual, String what) {
        if (!expected.matches(actual, SAME_RESULTS_TOLERANCE)) {
            throw new AssertionError(what + ": expected " + expected + " but was " + actual);
        }
    }

    /** The dataset folder, or null when ../shared is not beside the checkout. */
    public static Path dataset(String name) {
        Path dir = DATASETS.resolve(name);
        return Files.isRegularFile(dir.resolve("base.fvecs")) ? dir : null;
    }
}
