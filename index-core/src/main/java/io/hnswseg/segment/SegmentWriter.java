package io.hnswseg.segment;

import io.hnswseg.distance.QuantizedVectors;
import io.hnswseg.hnsw.GraphView;
import io.hnswseg.hnsw.HnswGraph;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Streams a graph to an {@link OutputStream} in the segment format (version 2; 3 with copies), in one pass (no
 * seeking), so it can write to HDFS or object storage through any stream. The stream is not closed.
 */
public final class SegmentWriter {

    private static final int BUFFER_BYTES = 1 << 16;

    private final OutputStream out;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private long written;

    private SegmentWriter(OutputStream out) {
        this.out = out;
    }

    /**
     * Writes {@code graph} to {@code out}.
     *
     * @return the figures the manifest lists for this segment
     */
    public static SegmentInfo write(HnswGraph graph, OutputStream out) throws IOException {
        return write(graph, out, -1, Float.NaN);
    }

    /**
     * Writes {@code graph}, a partition of a k-means index, to {@code out}.
     *
     * @param centroidCrc32c the CRC32C of the partition's centroid ({@code Centroids.crc32c}), recorded in the
     *                       header so that a reader can check the manifest routes this segment by it; -1 for none
     * @param centroidBias   the bias the partition's vectors were assigned with, recorded beside the CRC so that a
     *                       reader can check the manifest's; NaN for none
     * @return the figures the manifest lists for this segment
     * @throws IllegalArgumentException when {@code centroidCrc32c} is neither -1 nor an unsigned 32-bit value, or
     *                                  a bias is given without a CRC or is infinite
     */
    public static SegmentInfo write(HnswGraph graph, OutputStream out, long centroidCrc32c, float centroidBias) throws IOException {
        return new SegmentWriter(out).writeGraph(graph, graph.params().efConstruction(), graph.params().seed(), graph.codes(),
                centroidCrc32c, centroidBias);
    }

    private SegmentInfo writeGraph(GraphView g, int efConstruction, long seed, QuantizedVectors codes, long centroidCrc32c,
                                   float centroidBias) throws IOException {
        if (g.dimension() > SegmentHeader.MAX_DIMENSION) {
            // Refused before a byte is written: a reader could not open it.
            throw new IllegalArgumentException("dimension " + g.dimension() + " exceeds the segment format's largest, "
                    + SegmentHeader.MAX_DIMENSION);
        }
        int n = g.size();
        int m = g.m();
        int upperBlock = 1 + m;
        long upperDataInts = 0;
        for (int node = 0; node < n; node++) {
            upperDataInts += (long) g.level(node) * upperBlock;
        }
        if (upperDataInts > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("upper layers too large for one segment: use more partitions");
        }
        boolean copies = false;
        for (int node = 0; node < n && !copies; node++) {
            copies = g.nextCopy(node) >= 0;
        }
        int flags = (codes == null ? 0 : SegmentLayout.FLAG_CODES) | (copies ? SegmentLayout.FLAG_COPIES : 0);
        SegmentHeader header = new SegmentHeader(SegmentLayout.versionFor(copies), g.metric(), g.dimension(), n, m,
                efConstruction, seed, g.topLevel(), g.entryNode(), upperDataInts, flags, centroidCrc32c, centroidBias);
        SegmentLayout layout = header.layout();
        header.writeTo(buffer);

        padTo(layout.idsOffset());
        for (int node = 0; node < n; node++) {
            ensure(8).putLong(g.externalId(node));
        }
        padTo(layout.levelsOffset());
        for (int node = 0; node < n; node++) {
            ensure(1).put((byte) g.level(node));
        }
        padTo(layout.vectorsOffset());
        float[] vector = new float[g.dimension()];
        for (int node = 0; node < n; node++) {
            g.copyVector(node, vector, 0);
            for (float x : vector) {
                ensure(4).putFloat(x);
            }
        }
        padTo(layout.layer0Offset());
        int[] links = new int[2 * m + 1];
        for (int node = 0; node < n; node++) {
            writeLinks(g.neighbours(0, node, links), links, 2 * m);
        }
        padTo(layout.upperIndexOffset());
        int start = 0;
        for (int node = 0; node < n; node++) {
            int level = g.level(node);
            ensure(4).putInt(level == 0 ? -1 : start);
            start += level * upperBlock;
        }
        padTo(layout.upperDataOffset());
        for (int node = 0; node < n; node++) {
            for (int level = 1; level <= g.level(node); level++) {
                writeLinks(g.neighbours(level, node, links), links, m);
            }
        }
        if (codes != null) {
            padTo(layout.quantizerOffset());
            for (float x : codes.quantizer().scale()) {
                ensure(4).putFloat(x);
            }
            for (float x : codes.quantizer().offset()) {
                ensure(4).putFloat(x);
            }
            padTo(layout.codesOffset());
            byte[] row = new byte[g.dimension()];
            for (int node = 0; node < n; node++) {
                codes.copyRows(node, 1, row, 0);
                // A row may be longer than the buffer (a dimension above 65,536).
                for (int from = 0; from < row.length; from += BUFFER_BYTES) {
                    int length = Math.min(BUFFER_BYTES, row.length - from);
                    ensure(length).put(row, from, length);
                }
            }
            padTo(layout.codeErrorsOffset());
            for (int node = 0; node < n; node++) {
                ensure(4).putFloat(codes.rowError(node));
            }
        }
        if (copies) {
            padTo(layout.copiesOffset());
            for (int node = 0; node < n; node++) {
                ensure(4).putInt(g.nextCopy(node));
            }
        }
        padTo(layout.footerOffset());
        flush();
        long checksum = crc.getValue();
        out.write(SegmentLayout.footer(checksum));
        out.flush();
        written += SegmentLayout.FOOTER_BYTES;
        if (written != layout.fileBytes()) {
            throw new IllegalStateException("segment writer produced " + written + " bytes, layout says " + layout.fileBytes());
        }
        return new SegmentInfo(n, written, checksum);
    }

    /** A layer block: the count, the links, then zero padding to the fixed slot size. */
    private void writeLinks(int count, int[] links, int slots) throws IOException {
        ensure(4).putInt(count);
        for (int i = 0; i < slots; i++) {
            ensure(4).putInt(i < count ? links[i] : 0);
        }
    }

    private ByteBuffer ensure(int bytes) throws IOException {
        if (buffer.remaining() < bytes) {
            flush();
        }
        return buffer;
    }

    private void padTo(long offset) throws IOException {
        long position = written + buffer.position();
        if (position > offset) {
            throw new IllegalStateException("section overran: at " + position + ", next section at " + offset);
        }
        for (; position < offset; position++) {
            ensure(1).put((byte) 0);
        }
    }

    private void flush() throws IOException {
        int length = buffer.position();
        crc.update(buffer.array(), 0, length);
        out.write(buffer.array(), 0, length);
        written += length;
        buffer.clear();
    }
}
