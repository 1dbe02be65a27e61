package io.hnswseg.spark;

import io.hnswseg.reader.ReaderOptions;

import java.io.Serializable;
import java.util.Locale;

/**
 * How {@link HnswsegSpark#search} searches an index with a table of queries. Start from
 * {@code new SearchOptions()} and set what you need; every setter returns this.
 * Errors name a setting by its command-line flag, the setter's name in words ({@code efConstruction} is
 * {@code --ef-construction}), since the command line and this API share the checks.
 *
 * <pre>{@code
 * SearchOptions options = new SearchOptions().vectorColumn("embedding").k(20).excludeSelf(true);
 * }</pre>
 */
public final class SearchOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    String format;
    String idColumn = "id";
    String vectorColumn = "vector";
    int k = 10;
    Integer ef;
    Integer nprobe;
    boolean excludeSelf;
    Integer searchThreads;
    /** Test hook: a fault of {@link TestFaults} to inject; null outside tests. */
    String testFault;

    /** Queries URI format: {@code parquet}, {@code fvecs} or {@code bvecs}; default from the extension, else Parquet. */
    public SearchOptions format(String value) {
        format = value == null ? null : value.toLowerCase(Locale.ROOT);
        return this;
    }

    /** Queries' id column, {@code bigint} or {@code int} (default {@code id}); an fvecs/bvecs row's id is its row number. */
    public SearchOptions idColumn(String value) {
        idColumn = value;
        return this;
    }

    /** Queries' vector column: {@code array<float>}, {@code array<double>} or a Spark ML vector (default {@code vector}). */
    public SearchOptions vectorColumn(String value) {
        vectorColumn = value;
        return this;
    }

    /** Neighbours per query (default 10). */
    public SearchOptions k(int value) {
        k = value;
        return this;
    }

    /** Search beam width, at least k (k + 1 with {@link #excludeSelf}); default: the index's recommended ef, raised to that. */
    public SearchOptions ef(int value) {
        ef = value;
        return this;
    }

    /** Segments each query visits on a k-means index, 0 = all; default: the index's recommended nprobe. */
    public SearchOptions nprobe(int value) {
        nprobe = value;
        return this;
    }

    /**
     * Leave a query's own id out of its neighbours (a self-join: the queries are the indexed vectors). The
     * search then asks for k + 1 and drops the query's id; a query whose id is not in the index keeps k.
     */
    public SearchOptions excludeSelf(boolean value) {
        excludeSelf = value;
        return this;
    }

    /** Search threads of the one reader each executor JVM shares between its tasks (default: the executor's cores). */
    public SearchOptions searchThreads(int value) {
        searchThreads = value;
        return this;
    }

    SearchOptions testFault(String value) {
        testFault = value;
        return this;
    }

    /** Neighbours each search asks for: k, or k + 1 to leave the query's own id out. */
    int searchK() {
        return excludeSelf ? k + 1 : k;
    }

    /** Checks values that need no index; errors name the option. */
    void validate() {
        if (k < 1 || k > 10_000) {
            throw new InvalidInputException("--k must be in 1..10000, got " + k);
        }
        if (ef != null && ef < searchK()) {
            throw new InvalidInputException("--ef " + ef + " is below " + (excludeSelf ? "k + 1 = " + searchK()
                    + " (--exclude-self searches one more)" : "k = " + k));
        }
        if (ef != null && ef > io.hnswseg.reader.IndexReader.MAX_EF) {
            throw new InvalidInputException("--ef must be at most " + io.hnswseg.reader.IndexReader.MAX_EF + ", got " + ef);
        }
        if (nprobe != null && nprobe < 0) {
            throw new InvalidInputException("--nprobe must be >= 0 (0 = every segment), got " + nprobe);
        }
        if (searchThreads != null && (searchThreads < 1 || searchThreads > ReaderOptions.MAX_SEARCH_THREADS)) {
            // Checked here, not only by each executor's reader: there it failed every task, retried (review helper 64).
            throw new InvalidInputException("--search-threads must be in [1, " + ReaderOptions.MAX_SEARCH_THREADS + "], got " + searchThreads);
        }
        TestFaults.validate(testFault);
        if (format != null && !format.equals("parquet") && !format.equals("fvecs") && !format.equals("bvecs")) {
            throw new InvalidInputException("--format " + format + ": expected parquet, fvecs or bvecs");
        }
    }
}
