package io.hnswseg.spark;

import io.hnswseg.hnsw.HnswGraphBuilder;
import io.hnswseg.io.VecsFormat;
import io.hnswseg.io.VecsReader;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;

/**
 * Builds the segment of rows {@code [first, first + count)} of an fvecs/bvecs file: the task seeks to its
 * byte range and reads records straight into the builder's contiguous storage, one reused buffer, no
 * object per row. Ids are the 0-based row numbers, as in the files' ground truth.
 */
final class VecsPartitionTask {

    private VecsPartitionTask() {
    }

    static SegmentResult run(JobConfig config, int partition, long first, long count, Configuration hadoop) {
        VecsFormat format = VecsFormat.valueOf(config.format.toUpperCase(java.util.Locale.ROOT));
        long recordBytes = 4 + (long) config.dimension * format.componentBytes();
        HnswGraphBuilder builder = new HnswGraphBuilder(config.dimension, Math.toIntExact(count), config.params());
        long start = System.nanoTime();
        long skipped = 0;
        Path path = new Path(config.input);
        try (FSDataInputStream in = FileSystem.get(URI.create(config.input), hadoop).open(path)) {
            in.seek(first * recordBytes);
            VecsReader reader = new VecsReader(bounded(in, count * recordBytes), config.input, format);
            float[] row = new float[config.dimension];
            for (long i = 0; i < count; i++) {
                long id = first + i;
                if (!reader.nextFloats(row)) {
                    throw new InvalidInputException(config.input + ": ends before row " + id + " (file changed while the job ran?)");
                }
                if (reader.dimension() != config.dimension) {
                    throw new InvalidInputException(config.input + ": row " + id + " has dimension " + reader.dimension()
                            + ", expected " + config.dimension);
                }
                try {
                    builder.add(id, row, 0);
                } catch (IllegalArgumentException e) {
                    if (!config.skipInvalid) {
                        throw new InvalidInputException(config.input + ": row " + id + ": " + e.getMessage());
                    }
                    skipped++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(config.input + ": partition " + partition + " (rows " + first + ".." + (first + count - 1)
                    + "): " + e.getMessage(), e);
        }
        return SegmentTask.buildAndWrite(config, builder, partition, skipped, System.nanoTime() - start, hadoop);
    }

    /** The stream limited to this partition's bytes, so a reader cannot run into the next partition. */
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
        };
    }
}
