package io.hnswseg.spark;

import java.io.Serializable;

/**
 * One row of a batch search's result, as Spark encodes it: a bean, so that its primitive arrays are
 * written into Spark's rows as they are, without a boxed object per neighbour. Users read the result as a
 * {@code Dataset<Row>} of {@code (id, neighbors, distances)}; this type is how it is made.
 */
public final class NeighbourRow implements Serializable {

    private static final long serialVersionUID = 1L;

    private long id;
    private long[] neighbors;
    private float[] distances;

    public NeighbourRow() {
    }

    NeighbourRow(long id, long[] neighbors, float[] distances) {
        this.id = id;
        this.neighbors = neighbors;
        this.distances = distances;
    }

    public long getId() {
        return id;
    }

    public void setId(long id) {
        this.id = id;
    }

    public long[] getNeighbors() {
        return neighbors;
    }

    public void setNeighbors(long[] neighbors) {
        this.neighbors = neighbors;
    }

    public float[] getDistances() {
        return distances;
    }

    public void setDistances(float[] distances) {
        this.distances = distances;
    }
}
