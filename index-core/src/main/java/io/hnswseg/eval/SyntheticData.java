package io.hnswseg.eval;

import io.hnswseg.io.FloatMatrix;

import java.util.SplittableRandom;

/**
 * Generated vectors with cluster structure, a stand-in for real embeddings when no dataset is at hand:
 * uniformly random vectors are a poor test because every point is nearly equidistant from every other.
 */
public final class SyntheticData {

    private SyntheticData() {
    }

    /**
     * {@code rows} vectors around {@code clusters} Gaussian centres, each with its own spread.
     * The same arguments always give the same data.
     */
    public static FloatMatrix clustered(int rows, int dimension, int clusters, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] centres = new float[clusters * dimension];
        float[] spreads = new float[clusters];
        for (int c = 0; c < clusters; c++) {
            for (int i = 0; i < dimension; i++) {
                centres[c * dimension + i] = (float) (random.nextDouble() * 2 - 1);
            }
            spreads[c] = (float) (0.05 + 0.25 * random.nextDouble());
        }
        float[] data = new float[rows * dimension];
        for (int r = 0; r < rows; r++) {
            int c = random.nextInt(clusters);
            for (int i = 0; i < dimension; i++) {
                data[r * dimension + i] = centres[c * dimension + i] + spreads[c] * (float) gaussian(random);
            }
        }
        return new FloatMatrix(dimension, rows, data);
    }

    private static double gaussian(SplittableRandom random) {
        double u = random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }
}
