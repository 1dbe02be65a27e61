package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.hnsw.Copies;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.LocalFiles;
import io.hnswseg.io.VecsReader;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.util.Arrays;

/**
 * The queries a build measures its own recall with: distinct vectors of the input's sample (each one's own
 * match left out of the truth and the results), or the user's {@code --eval-queries-file}, checked like input.
 */
final class EvalQueries {

    private EvalQueries() {
    }

    /**
     * The queries of {@code --eval-queries-file}, or null without one: read as soon as the input's dimension is
     * known, so that a file of another dimension is refused before the sampling pass and the k-means (probe
     * helper 28: it was refused after both).
     */
    static FromFile file(BuildOptions options, int dimension, Configuration hadoop) throws IOException {
        return options.evalQueriesFile == null ? null : read(options.evalQueriesFile, dimension, options, hadoop);
    }

    /**
     * The queries of {@code --eval-queries-file}, and the file they came from, made whole: a relative name in the
     * manifest's {@code quality.source} meant nothing to a reader elsewhere (probe helper 97).
     */
    record FromFile(FloatMatrix queries, String source) {
    }

    /**
     * The build's evaluation, or null when {@code --eval-queries 0} asks for none.
     *
     * @param queries the queries of {@code --eval-queries-file} ({@link #file}), or null to sample them
     * @param typicalLength the input's typical vector length, which the manifest records for readers: queries are
     *                      searched as readers search them ({@link Evaluation#scales})
     */
    static Evaluation of(Sample sample, Partitioning partitioning, int dimension, BuildOptions options, FromFile queries,
                         double typicalLength) {
        Metric metric = options.metricValue();
        if (queries != null) {
            return Evaluation.of(null, queries.queries().data(), dimension, partitioning,
                    queries.queries().rows() + " queries from " + queries.source(), metric, typicalLength);
        }
        if (options.evalQueries == 0) {
            return null;
        }
        return distinct(sample.evalIds, sample.evalVectors, sample.evalCount(), dimension, metric, partitioning, typicalLength);
    }

    /**
     * The sampled queries, each vector once: copies of one vector stand for one query. A vector repeated in the
     * input is sampled in proportion (half the queries, where half the input is one vector), so the recall of
     * one point would weigh as much as that of all the others. (A query's copies are also left out of its truth
     * and results, {@link Evaluation}: every search finds them at distance 0, and a new point has none.)
     */
    private static Evaluation distinct(long[] ids, float[] vectors, int count, int dimension, Metric metric, Partitioning partitioning,
                                       double typicalLength) {
        // Compared as the segments store them: under cosine, v and 2v are one query.
        int[] next = Copies.chains(vectors, count, dimension, metric);
        String source = count + " vectors sampled from the input, each one's own vector and its copies left out";
        if (next == null) {
            return Evaluation.of(ids, vectors, dimension, partitioning, source, metric, typicalLength);
        }
        boolean[] copy = Copies.copies(next);
        int kept = 0;
        long[] keptIds = new long[count];
        float[] keptVectors = new float[count * dimension];
        for (int q = 0; q < count; q++) {
            if (!copy[q]) {
                keptIds[kept] = ids[q];
                System.arraycopy(vectors, q * dimension, keptVectors, kept++ * dimension, dimension);
            }
        }
        source = kept + " distinct vectors of " + count + " sampled from the input (copies of one vector are one query),"
                + " each one's own vector and its copies left out";
        return Evaluation.of(Arrays.copyOf(keptIds, kept), Arrays.copyOf(keptVectors, kept * dimension), dimension, partitioning, source,
                metric, typicalLength);
    }

    private static FromFile read(String uri, int dimension, BuildOptions options, Configuration hadoop) throws IOException {
        Path path = new Path(uri);
        // Checked first: a directory, a Parquet table or a missing file failed naming the local copy, or not the option
        // (probe helper 45: "Destination exists and is not a directory: /tmp/hnswseg-eval-....parquet").
        org.apache.hadoop.fs.FileStatus status = Vacuum.status(path.getFileSystem(hadoop), path);
        boolean ids = uri.toLowerCase(java.util.Locale.ROOT).endsWith(".ivecs");
        String format = ids ? null : IndexBuild.inferFormat(uri);
        if (status == null || status.isDirectory() || ids || format.equals("parquet")) {
            throw new InvalidInputException("--eval-queries-file " + uri + (status == null ? " does not exist" : status.isDirectory()
                    ? " is a directory" : ids ? " holds ints (a ground truth's ids), not vectors" : " is not a .fvecs or .bvecs file")
                    + ": give the queries as a .fvecs or .bvecs file");
        }
        java.nio.file.Path local = LocalFiles.createTemporary(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")),
                "hnswseg-eval-", "." + format);
        try {
            path.getFileSystem(hadoop).copyToLocalFile(false, path, new Path(local.toUri()), true);
            FloatMatrix m;
            try {
                m = VecsReader.readFloats(local, Integer.MAX_VALUE);
            } catch (IOException e) {
                // The reader names the local copy; the user knows the file by the name they gave.
                String problem = String.valueOf(e.getMessage()).replace(local + ": ", "").replace(local.toString(), uri);
                throw new InvalidInputException("--eval-queries-file " + uri + ": " + problem);
            }
            if (m.dimension() != dimension) {
                throw new InvalidInputException("--eval-queries-file " + uri + " has dimension " + m.dimension() + ", the input " + dimension);
            }
            for (int r = 0; r < m.rows(); r++) {
                try {
                    Vectors.checkValid(m.data(), r * dimension, dimension, options.metricValue(), "row " + r);
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException("--eval-queries-file " + uri + ": " + e.getMessage());
                }
            }
            return new FromFile(m, status.getPath().toString());
        } finally {
            LocalFiles.discardTemporary(local);
        }
    }
}
