package io.hnswseg.io;

/**
 * Row-major float vectors in one array: row {@code i} is {@code data[i * dimension .. (i + 1) * dimension)}.
 */
public record FloatMatrix(int dimension, int rows, float[] data) {

    public FloatMatrix {
        if ((long) dimension * rows > data.length) {
            throw new IllegalArgumentException(rows + " rows of dimension " + dimension + " do not fit " + data.length + " floats");
        }
    }

    /** A copy of row {@code i}. */
    public float[] row(int i) {
        float[] v = new float[dimension];
        System.arraycopy(data, i * dimension, v, 0, dimension);
        return v;
    }

    /** The first {@code n} rows (a copy). */
    public FloatMatrix head(int n) {
        int rows = Math.min(n, this.rows);
        float[] copy = new float[rows * dimension];
        System.arraycopy(data, 0, copy, 0, copy.length);
        return new FloatMatrix(dimension, rows, copy);
    }
}
