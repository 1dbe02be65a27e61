package io.hnswseg.spark;

import java.io.IOException;

/**
 * One task's rows of the input, one at a time into reused buffers: the map side of every build reads
 * through this, whatever the format, so validation and partitioning are written once.
 */
interface RowSource extends AutoCloseable {

    /**
     * Moves to the next row.
     *
     * @return false at the end of this task's rows
     */
    boolean next() throws IOException;

    /** The current row's id. */
    long id();

    /**
     * The current row's components, or null when the row has no usable vector; {@link #length()} and
     * {@link #problem()} say why.
     */
    float[] vector();

    /** Components of the current row's vector as stored (-1 for a null vector). */
    int length();

    /** Why the current row's vector is unusable before its values are looked at (null, a null component), or null. */
    String problem();

    /** How to name the current row in an error, e.g. {@code "row id 42 (column embedding)"}. */
    String describe();

    @Override
    void close() throws IOException;
}
