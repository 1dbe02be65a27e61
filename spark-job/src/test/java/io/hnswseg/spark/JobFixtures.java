package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.eval.BruteForce;
import io.hnswseg.eval.Recall;
import io.hnswseg.eval.SyntheticData;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsWriter;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.segment.MappedSegment;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Shared by the job tests: data, running the job on a session, reading back what it committed. */
final class JobFixtures {

    private JobFixtures() {
    }

    static SparkSession.Builder session(String master) {
        return SparkSession.builder().master(master).appName("hnswseg-test")
                .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .config("spark.kryo.registrator", HnswsegKryoRegistrator.class.getName())
                .config("spark.kryo.registrationRequired", "true")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4");
    }

    /** Runs the job as the command line would, on an existing session; returns the summary. */
    static Map<String, Object> runJob(SparkSession spark, String... args) throws IOException {
        BuildIndexJob job = new BuildIndexJob();
        new CommandLine(job).parseArgs(args);
        return job.run(spark, 0);
    }

    static FloatMatrix[] clustered(int rows, int queries, int dim, long seed) {
        FloatMatrix all = SyntheticData.clustered(rows + queries, dim, 30, seed);
        float[] q = new float[queries * dim];
        System.arraycopy(all.data(), rows * dim, q, 0, q.length);
        return new FloatMatrix[]{all.head(rows), new FloatMatrix(dim, queries, q)};
    }

    /** A grid point as the build counted it, without its timing (which differs from build to build). */
    static String counted(IndexManifest.GridPoint p) {
        return p.nprobe() + "/" + p.ef() + ": " + p.recallAt10() + ", " + p.bytesScoredPerQuery() + " bytes";
    }

    /** Every point of a measured grid, {@link #counted}. */
    static List<String> countedGrid(IndexManifest.Quality quality) {
        return quality.grid().stream().map(JobFixtures::counted).toList();
    }

    static Path writeFvecs(Path file, FloatMatrix m) throws IOException {
        try (VecsWriter w = VecsWriter.create(file)) {
            for (int r = 0; r < m.rows(); r++) {
                w.writeFloats(m.data(), r * m.dimension(), m.dimension());
            }
        }
        return file;
    }

    static IndexManifest manifest(Path index) throws IOException {
        try (InputStream in = Files.newInputStream(index.resolve(IndexManifest.FILE_NAME))) {
            return IndexManifest.read(in, index.toString());
        }
    }

    /**
     * Asserts that every segment of a k-means index records, in its header, the CRC32C of the centroid the
     * manifest routes it by, as stored in the centroids file, and that centroid's bias as the manifest lists it.
     */
    static void assertSegmentsRecordTheirCentroids(Path index) throws IOException {
        IndexManifest manifest = manifest(index);
        org.junit.jupiter.api.Assertions.assertTrue(manifest.routed(), "not a k-means index: " + index);
        FloatMatrix centroids = io.hnswseg.io.VecsReader.parseFloats(
                Files.readAllBytes(index.resolve(manifest.routing().centroids().path())), "centroids");
        for (IndexManifest.Segment s : manifest.segments()) {
            try (MappedSegment segment = MappedSegment.open(index.resolve(s.path()))) {
                org.junit.jupiter.api.Assertions.assertEquals(
                        io.hnswseg.routing.Centroids.crc32c(centroids.data(), s.centroid(), centroids.dimension()),
                        segment.header().centroidCrc32c(), s.path() + ", centroid " + s.centroid());
                org.junit.jupiter.api.Assertions.assertEquals(manifest.routing().biases().get(s.centroid()),
                        segment.header().centroidBias(), s.path() + ", bias of centroid " + s.centroid());
            }
        }
    }

    /** Searches every segment of the committed index and merges: the reader's job, done plainly here. */
    static long[][] searchIndex(Path index, FloatMatrix queries, int k, int ef) throws IOException {
        IndexManifest manifest = manifest(index);
        List<MappedSegment> segments = new ArrayList<>();
        for (IndexManifest.Segment s : manifest.segments()) {
            MappedSegment seg = MappedSegment.open(index.resolve(s.path()));
            if (seg.storedChecksum() != s.crc32c() || seg.size() != s.count()) {
                throw new AssertionError("segment " + s.path() + " does not match the manifest");
            }
            segments.add(seg);
        }
        long[][] found = new long[queries.rows()][];
        for (int q = 0; q < queries.rows(); q++) {
            List<long[]> all = new ArrayList<>();
            for (MappedSegment seg : segments) {
                SearchResults r = seg.search(queries.row(q), k, ef);
                for (int i = 0; i < r.size(); i++) {
                    all.add(new long[]{Float.floatToIntBits(r.distances()[i]), r.ids()[i]});
                }
            }
            all.sort(Comparator.comparingDouble(e -> Float.intBitsToFloat((int) e[0])));
            found[q] = all.stream().limit(k).mapToLong(e -> e[1]).toArray();
        }
        segments.forEach(MappedSegment::close);
        return found;
    }

    /** The files under the index's segments/ and routing/ (those vacuum looks after), relative to the index. */
    static Set<String> dataFiles(Path index) throws IOException {
        Set<String> all = new TreeSet<>();
        for (String dir : new String[]{"segments", "routing"}) {
            if (Files.isDirectory(index.resolve(dir))) {
                try (Stream<Path> list = Files.list(index.resolve(dir))) {
                    list.forEach(p -> all.add(dir + "/" + p.getFileName()));
                }
            }
        }
        return all;
    }

    /** The files a manifest lists: its segments and, for a k-means index, its centroids. */
    static Set<String> listed(IndexManifest manifest) {
        Set<String> all = new TreeSet<>();
        manifest.segments().forEach(s -> all.add(s.path()));
        if (manifest.routed()) {
            all.add(manifest.routing().centroids().path());
        }
        return all;
    }

    /** The partition a segment file was built for, from its name ({@code segments/<run>-part-NNNNN-task-T.hseg}). */
    static int partitionOf(String path) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("segments/[0-9a-f]{8}-part-(\\d{5})-task-\\d+\\.hseg").matcher(path);
        if (!m.matches()) {
            throw new AssertionError("not a segment file name: " + path);
        }
        return Integer.parseInt(m.group(1));
    }

    /** Runs {@code hnswseg vacuum} with these arguments; returns its exit status. */
    static int vacuum(String... args) {
        CommandLine cli = VacuumIndexJob.commandLine();
        cli.setOut(new java.io.PrintWriter(System.out, true));
        return cli.execute(args);
    }

    static double recall(Path index, FloatMatrix base, FloatMatrix queries, Metric metric) throws IOException {
        int[][] truth = BruteForce.nearest(base, queries, 10, metric);
        return Recall.atK(searchIndex(index, queries, 10, 64), truth, 10);
    }
}
