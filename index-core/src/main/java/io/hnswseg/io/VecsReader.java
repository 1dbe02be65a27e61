package io.hnswseg.io;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads vecs records one at a time from a stream. Every record must have the dimension of the first;
 * a truncated record or a change of dimension is an {@link IOException} naming the file and the record.
 */
public final class VecsReader implements Closeable {

    private final InputStream in;
    private final String name;
    private final VecsFormat format;
    private int dimension = -1;
    private long row;
    private byte[] record = new byte[0];
    private ByteBuffer view;
    private final byte[] header = new byte[4];
    /** {@link #peekDimension()} consumed the next record's dimension field. */
    private boolean pendingHeader;

    /**
     * @param name the file name, for error messages
     */
    public VecsReader(InputStream in, String name, VecsFormat format) {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
        this.name = name;
        this.format = format;
    }

    /** Opens a file, taking the format from its extension. */
    public static VecsReader open(Path path) throws IOException {
        VecsFormat format = VecsFormat.fromFileName(path.getFileName().toString());
        return new VecsReader(Files.newInputStream(path), path.toString(), format);
    }

    /**
     * For a stream positioned at record {@code row} of a file whose records have {@code dimension}
     * components: errors then name the record's number in the whole file, and the first record read is
     * checked against that dimension like every other.
     */
    public VecsReader positionedAt(long row, int dimension) {
        this.row = row;
        this.dimension = dimension;
        return this;
    }

    /** The dimension of the records, known once the first record has been read (-1 before). */
    public int dimension() {
        return dimension;
    }

    /** How many records have been read. */
    public long rowsRead() {
        return row;
    }

    /**
     * Reads the next record's components into {@code into} (as floats; bvecs bytes become 0..255).
     *
     * @return false at the clean end of the stream
     */
    public boolean nextFloats(float[] into) throws IOException {
        if (format == VecsFormat.IVECS) {
            throw new IllegalStateException(name + ": expected vectors (.fvecs or .bvecs), got an .ivecs file of ints");
        }
        if (!nextRecord(into.length)) {
            return false;
        }
        if (format == VecsFormat.FVECS) {
            view.asFloatBuffer().get(into, 0, dimension);
        } else {
            for (int i = 0; i < dimension; i++) {
                into[i] = record[i] & 0xff;
            }
        }
        return true;
    }

    /** Reads the next record of an .ivecs file; see {@link #nextFloats}. */
    public boolean nextInts(int[] into) throws IOException {
        if (format != VecsFormat.IVECS) {
            throw new IllegalStateException(name + ": expected ids (.ivecs, such as ground truth), got a file of vectors");
        }
        if (!nextRecord(into.length)) {
            return false;
        }
        view.asIntBuffer().get(into, 0, dimension);
        return true;
    }

    /**
     * Reads the next record's dimension (and on the first record, fixes the file's dimension).
     * Returns -1 at the clean end of the stream. Used by callers that size buffers from the file.
     */
    public int peekDimension() throws IOException {
        if (dimension >= 0) {
            return dimension;
        }
        int got = in.readNBytes(header, 0, 4);
        if (got == 0) {
            return -1;
        }
        dimension = parseDimension(got);
        pendingHeader = true;
        return dimension;
    }

    private boolean nextRecord(int capacity) throws IOException {
        int d;
        if (pendingHeader) {
            pendingHeader = false;
            d = dimension;
        } else {
            int got = in.readNBytes(header, 0, 4);
            if (got == 0) {
                return false;
            }
            d = parseDimension(got);
            if (dimension < 0) {
                dimension = d;
            } else if (d != dimension) {
                throw new IOException(name + ": record " + row + " declares dimension " + d + ", but the file's first record has "
                        + dimension + " (corrupt file, or not a ." + format.name().toLowerCase() + " file)");
            }
        }
        if (capacity < d) {
            throw new IllegalArgumentException(name + ": buffer of " + capacity + " components is too small for dimension " + d);
        }
        int bytes = d * format.componentBytes();
        if (record.length < bytes) {
            record = new byte[bytes];
            view = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
        }
        int got = in.readNBytes(record, 0, bytes);
        if (got < bytes) {
            throw new IOException(name + ": record " + row + " is truncated: expected " + bytes + " bytes of components, found " + got
                    + " (the file is incomplete)");
        }
        row++;
        return true;
    }

    private int parseDimension(int got) throws IOException {
        if (got < 4) {
            throw new IOException(name + ": record " + row + " is truncated: " + got + " of the 4 bytes of its dimension");
        }
        int d = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (d <= 0 || d > (1 << 20)) {
            throw new IOException(name + ": record " + row + " declares dimension " + d + ", which is not a valid vector dimension");
        }
        return d;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** Reads up to {@code limit} float vectors of an .fvecs or .bvecs file into one matrix. */
    public static FloatMatrix readFloats(Path path, int limit) throws IOException {
        try (VecsReader reader = open(path)) {
            int d = reader.peekDimension();
            if (d < 0) {
                throw new IOException(path + ": empty file, no vectors");
            }
            long fileBytes = Files.size(path);
            long recordBytes = 4 + (long) d * reader.format.componentBytes();
            long expected = Math.min(limit, fileBytes / recordBytes);
            if (expected * d > Integer.MAX_VALUE - 16) {
                throw new IOException(path + ": " + expected + " vectors of dimension " + d + " do not fit one array; read fewer");
            }
            float[] data = new float[(int) (expected * d)];
            float[] row = new float[d];
            int rows = 0;
            while (rows < expected && reader.nextFloats(row)) {
                System.arraycopy(row, 0, data, rows * d, d);
                rows++;
            }
            if (rows == expected && rows < limit && reader.nextFloats(row)) {
                throw new IOException(path + ": more records than the file size allows: corrupt file");
            }
            if (rows < expected) {
                throw new IOException(path + ": only " + rows + " complete records, file size implies " + expected);
            }
            // Only a limit past the whole records reaches the truncated one (limit n reads records 0 to n - 1).
            if (fileBytes % recordBytes != 0 && limit > fileBytes / recordBytes) {
                throw new IOException(path + ": record " + rows + " is truncated: the file ends " + (fileBytes % recordBytes)
                        + " bytes into it (the file is incomplete)");
            }
            return new FloatMatrix(d, rows, data);
        }
    }

    /**
     * Parses a whole .fvecs file held in memory (a small side file such as an index's centroids).
     *
     * @throws IOException naming {@code name} when the bytes are not whole records of one dimension
     */
    public static FloatMatrix parseFloats(byte[] bytes, String name) throws IOException {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 4) {
            throw new IOException(name + ": " + bytes.length + " bytes, no vectors");
        }
        int d = in.getInt(0);
        long record = 4 + 4L * d;
        if (d <= 0 || bytes.length % record != 0) {
            throw new IOException(name + ": " + bytes.length + " bytes are not whole .fvecs records of dimension " + d);
        }
        int rows = (int) (bytes.length / record);
        float[] data = new float[rows * d];
        for (int r = 0; r < rows; r++) {
            int at = (int) (r * record);
            if (in.getInt(at) != d) {
                throw new IOException(name + ": record " + r + " has dimension " + in.getInt(at) + ", the first has " + d);
            }
            for (int i = 0; i < d; i++) {
                data[r * d + i] = in.getFloat(at + 4 + 4 * i);
            }
        }
        return new FloatMatrix(d, rows, data);
    }

    /** Reads every record of an .ivecs file. */
    public static int[][] readInts(Path path) throws IOException {
        try (VecsReader reader = open(path)) {
            List<int[]> rows = new ArrayList<>();
            int[] row = new int[1 << 20];
            while (reader.nextInts(row)) {
                rows.add(Arrays.copyOf(row, reader.dimension()));
            }
            return rows.toArray(new int[0][]);
        }
    }
}
