package io.hnswseg.spark;

import picocli.CommandLine.Option;

/** How a job reads its vectors (a picocli mixin): the format, and a table's id and vector columns. */
final class InputColumns {

    @Option(names = "--format", description = "parquet, fvecs or bvecs (default: from the extension; parquet otherwise)")
    String format;

    @Option(names = "--id-col", defaultValue = "id", description = "Parquet: bigint (or int) id column (default: ${DEFAULT-VALUE})")
    String idColumn;

    @Option(names = "--vector-col", defaultValue = "vector",
            description = "Parquet: array<float>, array<double> or Spark ML vector column (default: ${DEFAULT-VALUE})")
    String vectorColumn;
}
