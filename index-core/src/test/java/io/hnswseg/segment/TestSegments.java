package io.hnswseg.segment;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.testing.Fixtures;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/** Small real segments for the corruption tests, and the helpers that edit their bytes. */
final class TestSegments {

    private TestSegments() {
    }

    /** A segment built from {@code base} with M = 4 (short link slots, several upper layers), as bytes. */
    static byte[] build(FloatMatrix base, Metric metric, boolean codes) {
        return write(Fixtures.build(base, new HnswParams(4, 32, 3, metric, codes), 1));
    }

    static byte[] write(HnswGraph graph) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            SegmentWriter.write(graph, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static ByteBuffer little(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Recomputes the footer's CRC32C, so an edit passes the checksum and only the structural checks can catch it. */
    static byte[] withValidChecksum(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - SegmentLayout.FOOTER_BYTES);
        little(bytes).putInt(bytes.length - SegmentLayout.FOOTER_BYTES, (int) crc.getValue());
        return bytes;
    }

    /**
     * The same segment in format version 1, as writers before the code errors section made it: the section
     * cut out, the header's version, footer offset and code errors offset set back, the checksum redone.
     */
    static byte[] asVersion1(byte[] bytes) {
        SegmentLayout layout = layout(bytes);
        long errors = layout.codeErrorsOffset();
        if (errors == 0) {
            byte[] v1 = bytes.clone();
            little(v1).putInt(8, 1);
            return withValidChecksum(v1);
        }
        byte[] v1 = java.util.Arrays.copyOf(bytes, (int) errors + SegmentLayout.FOOTER_BYTES);
        little(v1).putInt(8, 1).putLong(112, errors).putLong(144, 0).putInt((int) errors + 4, SegmentLayout.FOOTER_MAGIC);
        return withValidChecksum(v1);
    }

    /** The layout the header of {@code bytes} describes. */
    static SegmentLayout layout(byte[] bytes) {
        ByteBuffer in = little(bytes);
        return SegmentLayout.of(in.getLong(32), in.getInt(16), in.getInt(20), in.getLong(56),
                (in.getInt(120) & SegmentLayout.FLAG_CODES) != 0, (in.getInt(120) & SegmentLayout.FLAG_COPIES) != 0, in.getInt(8));
    }
}
