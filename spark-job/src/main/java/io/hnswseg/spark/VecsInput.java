package io.hnswseg.spark;

import io.hnswseg.io.VecsFormat;
import io.hnswseg.io.VecsReader;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * An fvecs/bvecs file read by row range: its shape comes from its first record and its size, and each
 * task seeks to its own rows and reads them straight into reused buffers. Ids are the 0-based row
 * numbers, as in the files' ground truth.
 */
final class VecsInput implements Serializable {

    private static final long serialVersionUID = 1L;

    final String uri;
    final String format;
    final int dimension;
    final long rows;

    private VecsInput(String uri, String format, int dimension, long rows) {
        this.uri = uri;
        this.format = format;
        this.dimension = dimension;
        this.rows = rows;
    }

    private VecsFormat vecsFormat() {
        return VecsFormat.valueOf(format.toUpperCase(Locale.ROOT));
    }

    long recordBytes() {
        return 4 + (long) dimension * vecsFormat().componentBytes();
    }

    /**
     * Row count and dimension of the file, checking that its size is whole records.
     *
     * @param role what the file is to the job ("input", "queries"), for messages
     */
    static VecsInput open(String uri, String format, Configuration hadoop, String role) throws IOException {
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem(hadoop);
        FileStatus status;
        try {
            status = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw new InvalidInputException(role + " " + uri + " does not exist");
        }
        if (status.isDirectory()) {
            throw new InvalidInputException(role + " " + uri + " is a directory, not a ." + format + " file (a Parquet table? pass --format parquet)");
        }
        if (status.getLen() == 0) {
            throw new InvalidInputException(role + " " + uri + " is empty: no vectors");
        }
        byte[] head = new byte[4];
        try (FSDataInputStream in = fs.open(path)) {
            in.readFully(head);
        } catch (java.io.EOFException e) {
            throw new InvalidInputException(uri + ": " + status.getLen() + " bytes, shorter than one record's dimension field");
        }
        int dim = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (dim <= 0 || dim > (1 << 20)) {
            throw new InvalidInputException(uri + ": the first record declares dimension " + dim + ": not a ." + format + " file");
        }
        VecsInput input = new VecsInput(uri, format, dim, 0);
        long record = input.recordBytes();
        if (status.getLen() % record != 0) {
            String size = uri + ": " + status.getLen() + " bytes is not a whole number of " + record + "-byte records of dimension " + dim;
            String found = firstBadRecord(fs, path, uri, input.vecsFormat(), SCAN_BYTES / record);
            throw new InvalidInputException(found != null ? found + " (" + size.substring(uri.length() + 2) + ")"
                    : size + ": the file is truncated or corrupt (row " + status.getLen() / record + " is incomplete)");
        }
        // Qualified here, on the driver: a relative path given to spark-submit meant each executor's own working
        // directory (probe helper 93).
        return new VecsInput(fs.makeQualified(path).toString(), format, dim, status.getLen() / record);
    }

    /** The most of a file read through to find its first bad record, so that a huge file's error does not wait for all of it. */
    static final long SCAN_BYTES = 4L << 30;

    /**
     * The reader's words on the first record among the first {@code rows} that breaks the file's layout
     * (a change of dimension in the middle as well as a truncated tail), or null if they are whole or the
     * file could not be read: a file whose size is not whole records is read through (only on this error),
     * so that the message names that record rather than the row the size arithmetic lands on.
     */
    private static String firstBadRecord(FileSystem fs, Path path, String uri, VecsFormat format, long rows) {
        try (VecsReader reader = new VecsReader(fs.open(path), uri, format)) {
            float[] row = new float[reader.peekDimension()];
            while (reader.rowsRead() < rows && reader.nextFloats(row)) {
                // Only the reader's checks matter here.
            }
        } catch (IOException e) {
            // The reader's own errors name the file; anything else (the store's) leaves the size's message.
            return e.getMessage() != null && e.getMessage().startsWith(uri + ": ") ? e.getMessage() : null;
        }
        return null;
    }

    /** Rows {@code [first, first + count)}, streamed from one seek. */
    RowSource rows(long first, long count, Configuration hadoop) throws IOException {
        Path path = new Path(uri);
        FSDataInputStream in = path.getFileSystem(hadoop).open(path);
        in.seek(first * recordBytes());
        VecsReader reader = new VecsReader(bounded(in, count * recordBytes()), uri, vecsFormat()).positionedAt(first, dimension);
        float[] row = new float[dimension];
        return new RowSource() {
            private long next = first;
            private long id = -1;

            @Override
            public boolean next() throws IOException {
                if (next == first + count) {
                    return false;
                }
                if (!reader.nextFloats(row)) {
                    throw new InvalidInputException(uri + ": ends before row " + next + " (file changed while the job ran?)");
                }
                id = next++;
                return true;
            }

            @Override
            public long id() {
                return id;
            }

            @Override
            public float[] vector() {
                return row;
            }

            @Override
            public int length() {
                return dimension;
            }

            @Override
            public String problem() {
                return null;
            }

            @Override
            public String describe() {
                return uri + ": row " + id;
            }

            @Override
            public void close() throws IOException {
                reader.close();
            }
        };
    }

    /** The stream limited to a partition's bytes, so a reader cannot run into the next partition. */
    private static InputStream bounded(InputStream in, long bytes) {
        return new InputStream() {
            private long left = bytes;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = in.read();
                if (b >= 0) {
                    left--;
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = in.read(buffer, offset, (int) Math.min(length, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }
}
