package io.hnswseg.distance;

/** Test access to {@link FloatPages} with pages small enough to span many in a few thousand vectors. */
public final class SmallPages {

    private SmallPages() {
    }

    public static FloatPages allocate(int rows, int dimension, int rowsPerPage) {
        return FloatPages.allocate(rows, dimension, rowsPerPage * dimension);
    }
}
