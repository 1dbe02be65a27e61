package io.hnswseg.cli;

import io.hnswseg.distance.Metric;
import io.hnswseg.eval.BruteForce;
import io.hnswseg.eval.SyntheticData;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.LocalFiles;
import io.hnswseg.io.VecsFormat;
import io.hnswseg.io.VecsWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code hnswseg generate}: a clustered dataset with exact ground truth, for demos and tests without downloads. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Write a generated clustered dataset (base.fvecs, query.fvecs, groundtruth.ivecs with exact top-100) to a directory.")
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, description = "directory to write")
    Path out;

    @Option(names = "--rows", defaultValue = "100000", description = "base vectors (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--dim", defaultValue = "64", description = "dimension (default: ${DEFAULT-VALUE})")
    int dim;

    @Option(names = "--queries", defaultValue = "1000", description = "query vectors (default: ${DEFAULT-VALUE})")
    int queries;

    @Option(names = "--clusters", defaultValue = "100", description = "Gaussian clusters (default: ${DEFAULT-VALUE})")
    int clusters;

    @Option(names = "--metric", defaultValue = "l2", description = "metric of the ground truth: l2, ip or cosine (default: ${DEFAULT-VALUE})")
    String metric;

    @Option(names = "--seed", defaultValue = "7", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--overwrite", description = "replace base.fvecs, query.fvecs and groundtruth.ivecs already in --out")
    boolean overwrite;

    private static final String[] FILES = {"base.fvecs", "query.fvecs", "groundtruth.ivecs"};

    @Override
    public Integer call() throws IOException {
        if (rows <= 0 || queries <= 0 || dim <= 0 || clusters <= 0) {
            throw new IllegalArgumentException("--rows, --queries, --dim and --clusters must be > 0");
        }
        // Generated in one array (review helper 75: 67,107,865 rows of 64 overflowed an int's index, and failed out of bounds).
        long floats = ((long) rows + queries) * dim;
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(String.format("--rows %d plus --queries %d of --dim %d make %,d floats: more than one"
                    + " array holds (%,d); generate fewer", rows, queries, dim, floats, Integer.MAX_VALUE - 8));
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " is a file: --out names the directory that gets " + String.join(", ", FILES));
        }
        for (String name : FILES) {
            if (!overwrite && Files.exists(out.resolve(name))) {
                // A dataset's directory holds files of these very names: never replace one by a typo.
                throw new IllegalArgumentException(out + " already holds " + name + ": pass --overwrite to replace the dataset there, "
                        + "or choose another --out");
            }
        }
        Metric m = Metric.parse(metric);
        // Queries come from the same clusters but are not rows of the base set.
        FloatMatrix all = SyntheticData.clustered(rows + queries, dim, clusters, seed);
        FloatMatrix base = all.head(rows);
        float[] q = new float[queries * dim];
        System.arraycopy(all.data(), rows * dim, q, 0, q.length);
        FloatMatrix queryVectors = new FloatMatrix(dim, queries, q);
        int[][] truth = BruteForce.nearest(base, queryVectors, Math.min(100, rows), m);
        Files.createDirectories(out);
        // The old ground truth goes first and the new one is written last: a run stopped between the files leaves
        // a dataset without a ground truth, which bench and eval refuse, never new vectors beside old answers.
        Files.deleteIfExists(out.resolve(FILES[2]));
        write(out.resolve(FILES[0]), base);
        write(out.resolve(FILES[1]), queryVectors);
        LocalFiles.writeWhole(out.resolve(FILES[2]), stream -> {
            try (VecsWriter writer = new VecsWriter(stream, VecsFormat.IVECS)) {
                for (int[] row : truth) {
                    writer.writeInts(row);
                }
            }
        });
        System.out.printf("generate: wrote %d base and %d query vectors of dimension %d (%d clusters) and exact %s top-%d to %s%n",
                rows, queries, dim, clusters, m.externalName(), truth[0].length, out);
        return 0;
    }

    /** Each file is written whole (a temporary file renamed): an interrupted run leaves no cut dataset. */
    private static void write(Path file, FloatMatrix m) throws IOException {
        LocalFiles.writeWhole(file, stream -> {
            try (VecsWriter writer = new VecsWriter(stream, VecsFormat.FVECS)) {
                for (int r = 0; r < m.rows(); r++) {
                    writer.writeFloats(m.data(), r * m.dimension(), m.dimension());
                }
            }
        });
    }
}
