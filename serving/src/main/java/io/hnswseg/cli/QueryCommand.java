package io.hnswseg.cli;

import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.LocalFiles;
import io.hnswseg.io.VecsFormat;
import io.hnswseg.io.VecsReader;
import io.hnswseg.io.VecsWriter;
import io.hnswseg.reader.IndexReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code hnswseg query}: top-k of every query vector of a file. */
@Command(name = "query", mixinStandardHelpOptions = true, description = "Search an index for every vector of a .fvecs file.")
final class QueryCommand implements Callable<Integer> {

    @Mixin
    IndexOptions index;

    @Option(names = "--queries", required = true, description = "query vectors (.fvecs or .bvecs)")
    Path queries;

    @Option(names = "--k", defaultValue = "10", description = "neighbours per query (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--ef", description = "search beam width, >= k (default: the index's recommended ef, else 64)")
    Integer ef;

    @Option(names = "--nprobe", description = "the most segments to visit per query on a k-means index (more only when they hold fewer than k vectors); 0 = all (default: the index's recommended nprobe)")
    Integer nprobe;

    @Option(names = "--out", description = "write the ids as an .ivecs file (one record of k ids per query, -1 filling those of queries that found fewer) instead of printing them")
    Path out;

    @Option(names = "--overwrite", description = "replace an existing --out file")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        LocalFiles.checkOutput("--out", out, overwrite, queries, LocalFiles.pathOf(index.index));
        if (out != null) {
            // Created now, as --json's are: a missing directory found only after the search would waste it.
            Files.createDirectories(out.toAbsolutePath().getParent());
        }
        FloatMatrix q = VecsReader.readFloats(queries, Integer.MAX_VALUE);
        try (IndexReader reader = index.openFor(queries, q, k)) {
            int beam = ef != null ? ef : Math.max(reader.defaultEf(), k);
            int probes = nprobe != null ? nprobe : reader.defaultNprobe();
            Batches batches = new Batches(reader, q, beam, probes);
            int[] fewer = {0};
            if (out != null) {
                // Written whole to a temporary file, then renamed: an interrupted run leaves no partial results.
                LocalFiles.writeWhole(out, stream -> {
                    try (VecsWriter writer = new VecsWriter(stream, VecsFormat.IVECS)) {
                        batches.forEach((i, r) -> {
                            writer.writeInts(toInts(r.ids(), k, i));
                            fewer[0] += r.size() < k ? 1 : 0;
                        });
                    }
                });
            } else {
                batches.forEach((i, r) -> {
                    StringBuilder line = new StringBuilder("query ").append(i).append(':');
                    for (int j = 0; j < r.size(); j++) {
                        line.append(' ').append(r.ids()[j]).append('=').append(r.distances()[j]);
                    }
                    System.out.println(line);
                });
            }
            double seconds = batches.searchNanos / 1e9;
            System.err.printf("query: %d queries, k=%d, ef=%d, nprobe=%s in %.3f s (%.0f queries/s over %d search threads)%s%n", q.rows(), k, beam,
                    probes == 0 ? "all" : probes,
                    seconds, q.rows() / seconds, index.readerOptions().searchThreads(), out == null ? ""
                            : "; ids written to " + out + (fewer[0] == 0 ? "" : " (" + fewer[0] + " queries found fewer than k: their records end in "
                            + PAD + ")"));
        }
        return 0;
    }

    /** What is done with each query's results, in query order. */
    private interface Sink {
        void accept(int query, SearchResults results) throws IOException;
    }

    /**
     * The queries searched a batch at a time, each batch's results handed on before the next is searched: holding every
     * query's results until the end took memory in queries times k (probe helper 78: 20,000 queries at k 1,000 ran a
     * 256 MB heap out).
     */
    private final class Batches {
        /** Results held at once, in neighbours: a batch of 8,192 queries at k 10, 2,000 at k 1,000 (about 24 MB). */
        private static final int NEIGHBOURS_PER_BATCH = 2_000_000;

        private final IndexReader reader;
        private final FloatMatrix queries;
        private final int beam;
        private final int probes;
        long searchNanos;

        Batches(IndexReader reader, FloatMatrix queries, int beam, int probes) {
            this.reader = reader;
            this.queries = queries;
            this.beam = beam;
            this.probes = probes;
        }

        void forEach(Sink sink) throws IOException {
            int batch = Math.max(64, Math.min(8_192, NEIGHBOURS_PER_BATCH / k));
            for (int first = 0; first < queries.rows(); first += batch) {
                List<float[]> rows = new ArrayList<>();
                for (int i = first; i < Math.min(queries.rows(), first + batch); i++) {
                    rows.add(queries.row(i));
                }
                long start = System.nanoTime();
                List<SearchResults> results = reader.searchBatch(rows, k, beam, probes);
                searchNanos += System.nanoTime() - start;
                for (int i = 0; i < results.size(); i++) {
                    sink.accept(first + i, results.get(i));
                }
            }
        }
    }

    /**
     * Fills the record of a query that found fewer than k neighbours (a routed search visits only some
     * segments, a small index may hold fewer than k): every record of an .ivecs file has the same length.
     */
    static final int PAD = -1;

    /** The record of one query: its ids, then {@link #PAD} up to {@code k}. */
    private static int[] toInts(long[] ids, int k, int query) {
        int[] ints = new int[k];
        java.util.Arrays.fill(ints, PAD);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < Integer.MIN_VALUE || ids[i] > Integer.MAX_VALUE || ids[i] == PAD) {
                throw new IllegalArgumentException("query " + query + ": id " + ids[i] + (ids[i] == PAD
                        ? " is the .ivecs output's filler for missing neighbours" : " does not fit the int32 ids of an .ivecs file")
                        + "; print the results instead (no --out)");
            }
            ints[i] = (int) ids[i];
        }
        return ints;
    }
}
