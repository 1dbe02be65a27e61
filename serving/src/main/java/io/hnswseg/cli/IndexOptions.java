package io.hnswseg.cli;

import io.hnswseg.reader.IndexReader;
import io.hnswseg.reader.ReaderOptions;
import picocli.CommandLine.Option;

import java.io.IOException;

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
}
