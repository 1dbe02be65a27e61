package io.hnswseg.cli;

import io.hnswseg.distance.Vectors;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.reader.IndexReader;
import io.hnswseg.reader.ReaderOptions;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** {@link ReaderFlags} plus the {@code --index} and {@code --lazy-segments} options of query, eval and serve. */
final class IndexOptions extends ReaderFlags {

    @Option(names = "--index", required = true, description = "the index: a directory, file:, s3://bucket/prefix or s3a://")
    String index;

    @Option(names = "--lazy-segments", description = "open (download) each segment when a query first needs it, not all at the start")
    boolean lazySegments;

    @Override
    ReaderOptions readerOptions() {
        return super.readerOptions().withLazySegments(lazySegments);
    }

    IndexReader open() throws IOException {
        return open(index);
    }

    /**
     * Opens the index to search the vectors read from {@code file} for their {@code k} nearest: k is checked
     * before the index is opened (a remote one is downloaded first), the file's dimension right after, so a
     * wrong file is named as such instead of failing its first search.
     */
    IndexReader openFor(Path file, FloatMatrix queries, int k) throws IOException {
        if (k <= 0) {
            throw new IllegalArgumentException("--k must be > 0, got " + k);
        }
        IndexReader reader = open();
        try {
            if (queries.dimension() != reader.dimension()) {
                throw new IllegalArgumentException(file + ": queries of dimension " + queries.dimension()
                        + ", but the index at " + reader.location() + " holds vectors of dimension " + reader.dimension());
            }
            // Every query checked before any is searched, named by the file and its row.
            for (int row = 0; row < queries.rows(); row++) {
                Vectors.checkValid(queries.data(), row * queries.dimension(), queries.dimension(), reader.metric(), file + ": row " + row);
            }
        } catch (IllegalArgumentException wrong) {
            try {
                reader.close();
            } catch (RuntimeException e) {
                wrong.addSuppressed(e);
            }
            throw wrong;
        }
        return reader;
    }
}
