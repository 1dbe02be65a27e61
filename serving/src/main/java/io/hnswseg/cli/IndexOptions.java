package io.hnswseg.cli;

import io.hnswseg.reader.IndexReader;
import picocli.CommandLine.Option;

import java.io.IOException;

/** {@link ReaderFlags} plus the {@code --index} option of query, eval and serve. */
final class IndexOptions extends ReaderFlags {

    @Option(names = "--index", required = true, description = "the index: a directory, file:, s3://bucket/prefix or s3a://")
    String index;

    IndexReader open() throws IOException {
        return open(index);
    }
}
