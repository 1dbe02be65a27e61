package io.hnswseg.io;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes vecs records to a stream; every record must have the same dimension. */
public final class VecsWriter implements Closeable {

    private final OutputStream out;
    private final VecsFormat format;
    private int dimension = -1;
    private ByteBuffer record = ByteBuffer.allocate(0);

    public VecsWriter(OutputStream out, VecsFormat format) {
        this.out = new BufferedOutputStream(out, 1 << 16);
        this.format = format;
    }

    public static VecsWriter create(Path path) throws IOException {
        return new VecsWriter(Files.newOutputStream(path), VecsFormat.fromFileName(path.getFileName().toString()));
    }

    /** Writes a float record (.fvecs), or a byte record (.bvecs) of values that must be integers 0..255. */
    public void writeFloats(float[] v, int offset, int dim) throws IOException {
        begin(dim);
        for (int i = 0; i < dim; i++) {
            float x = v[offset + i];
            if (format == VecsFormat.FVECS) {
                record.putFloat(x);
            } else if (format == VecsFormat.BVECS && x >= 0 && x <= 255 && x == Math.rint(x)) {
                record.put((byte) x);
            } else {
                throw new IllegalArgumentException("cannot write " + x + " to a ." + format.name().toLowerCase() + " file");
            }
        }
        end();
    }

    public void writeFloats(float[] v) throws IOException {
        writeFloats(v, 0, v.length);
    }

    /** Writes an int record (.ivecs). */
    public void writeInts(int[] v) throws IOException {
        if (format != VecsFormat.IVECS) {
            throw new IllegalStateException("ints go to .ivecs files");
        }
        begin(v.length);
        for (int x : v) {
            record.putInt(x);
        }
        end();
    }

    private void begin(int dim) {
        if (dimension < 0) {
            dimension = dim;
            record = ByteBuffer.allocate(4 + dim * format.componentBytes()).order(ByteOrder.LITTLE_ENDIAN);
        } else if (dim != dimension) {
            throw new IllegalArgumentException("record of dimension " + dim + " in a file of dimension " + dimension);
        }
        record.clear();
        record.putInt(dim);
    }

    private void end() throws IOException {
        out.write(record.array(), 0, record.position());
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
