package io.hnswseg.reader;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.eval.SyntheticData;
import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.HnswGraphBuilder;
import io.hnswseg.hnsw.HnswParams;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.segment.SegmentInfo;
import io.hnswseg.segment.SegmentWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Writes indexes the way the Spark job lays them out (segments/ plus manifest.json), without Spark. */
public final class TestIndexes {

    private TestIndexes() {
    }

    /**
     * A written manifest's text as a hand edit starts from it: without its last field, {@code manifest_crc32c}, which no
     * longer holds once a byte changes (a manifest without it is read unchecked).
     */
    public static String editable(Path manifest) throws IOException {
        return Files.readString(manifest).replaceFirst(",\\s*\"manifest_crc32c\" : \\d+(\\s*\\})\\s*$", "$1");
    }

    /** Rows {@code 0..n-1} split round-robin into {@code segments} segments; ids are the row numbers. */
    public static IndexManifest write(Path dir, FloatMatrix base, int segments, HnswParams params, int threads) throws IOException {
        return write(dir, base, segments, params, threads, 0);
    }

    /** {@link #write(Path, FloatMatrix, int, HnswParams, int)} with row r's id {@code firstId + r}. */
    public static IndexManifest write(Path dir, FloatMatrix base, int segments, HnswParams params, int threads, long firstId) throws IOException {
        return write(dir, base, segments, params, threads, firstId, "part-");
    }

    /**
     * {@link #write(Path, FloatMatrix, int, HnswParams, int, long)} with segment files named {@code
     * segments/<prefix>NNNNN.hseg}: another prefix writes a second index beside the first, as a build does.
     */
    public static IndexManifest write(Path dir, FloatMatrix base, int segments, HnswParams params, int threads, long firstId,
                                      String segmentPrefix) throws IOException {
        Files.createDirectories(dir.resolve("segments"));
        int dim = base.dimension();
        List<IndexManifest.Segment> entries = new ArrayList<>();
        for (int s = 0; s < segments; s++) {
            int count = (base.rows() - s + segments - 1) / segments;
            HnswGraphBuilder builder = new HnswGraphBuilder(dim, count, params);
            for (int r = s; r < base.rows(); r += segments) {
                builder.add(firstId + r, base.data(), r * dim);
            }
            HnswGraph graph = builder.build(threads);
            String path = String.format("segments/%s%05d.hseg", segmentPrefix, s);
            SegmentInfo info;
            try (OutputStream out = Files.newOutputStream(dir.resolve(path))) {
                info = SegmentWriter.write(graph, out);
            }
            entries.add(new IndexManifest.Segment(path, info.count(), info.bytes(), info.crc32c()));
        }
        // The vectors' typical length, as a build records it (it judges a build's sample; here, all rows).
        IndexManifest manifest = new IndexManifest(IndexManifest.FORMAT_VERSION, params.metric().externalName(), dim,
                new IndexManifest.BuildParams(params.m(), params.efConstruction(), params.seed()), base.rows(), entries,
                null, null, Map.of("writer", "TestIndexes"), Vectors.typicalLength(base.data(), base.rows(), dim));
        try (OutputStream out = Files.newOutputStream(dir.resolve(IndexManifest.FILE_NAME))) {
            manifest.writeTo(out);
        }
        return manifest;
    }

    /**
     * A k-means index: centroids trained on the base (no balancing beyond the trainer's), each row in the
     * segment of its nearest centroid by routing distance, the centroids file and a format 2 manifest.
     */
    public static IndexManifest writeRouted(Path dir, FloatMatrix base, int partitions, HnswParams params) throws IOException {
        return writeRouted(dir, base, partitions, params, false);
    }

    /**
     * {@link #writeRouted(Path, FloatMatrix, int, HnswParams)}, with every row also in the segment of its second-nearest
     * centroid when {@code replicated} (as {@code --replication} does for some).
     */
    public static IndexManifest writeRouted(Path dir, FloatMatrix base, int partitions, HnswParams params, boolean replicated)
            throws IOException {
        Files.createDirectories(dir.resolve("segments"));
        int dim = base.dimension();
        io.hnswseg.routing.Centroids centroids = io.hnswseg.routing.KMeansTrainer.train(base.data(), base.rows(), dim,
                params.metric(), partitions, 7).centroids();
        int[] cell = new int[base.rows()];
        int[] second = new int[base.rows()];
        int[] sizes = new int[partitions];
        float[] d = new float[partitions];
        io.hnswseg.routing.Centroids.Scratch scratch = centroids.newScratch();
        for (int r = 0; r < base.rows(); r++) {
            centroids.distances(base.data(), r * dim, scratch, d);
            float best = Float.POSITIVE_INFINITY;
            for (int c = 0; c < partitions; c++) {
                if (d[c] < best) {
                    best = d[c];
                    cell[r] = c;
                }
            }
            sizes[cell[r]]++;
            float next = Float.POSITIVE_INFINITY;
            for (int c = 0; c < partitions; c++) {
                if (c != cell[r] && d[c] < next) {
                    next = d[c];
                    second[r] = c;
                }
            }
            if (replicated) {
                sizes[second[r]]++;
            }
        }
        float[] rows = centroids.vectors();
        List<IndexManifest.Segment> entries = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            if (sizes[p] == 0) {
                continue;
            }
            HnswGraphBuilder builder = new HnswGraphBuilder(dim, sizes[p], params);
            for (int r = 0; r < base.rows(); r++) {
                if (cell[r] == p || replicated && second[r] == p) {
                    builder.add(r, base.data(), r * dim);
                }
            }
            String path = String.format("segments/part-%05d.hseg", p);
            SegmentInfo info;
            try (OutputStream out = Files.newOutputStream(dir.resolve(path))) {
                info = SegmentWriter.write(builder.build(1), out, io.hnswseg.routing.Centroids.crc32c(rows, p, dim), centroids.biases()[p]);
            }
            entries.add(new IndexManifest.Segment(path, info.count(), info.bytes(), info.crc32c(), p));
        }
        java.io.ByteArrayOutputStream centroidBytes = new java.io.ByteArrayOutputStream();
        try (io.hnswseg.io.VecsWriter writer = new io.hnswseg.io.VecsWriter(centroidBytes, io.hnswseg.io.VecsFormat.FVECS)) {
            for (int c = 0; c < partitions; c++) {
                writer.writeFloats(rows, c * dim, dim);
            }
        }
        byte[] bytes = centroidBytes.toByteArray();
        Files.createDirectories(dir.resolve("routing"));
        Files.write(dir.resolve("routing/centroids.fvecs"), bytes);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes);
        List<Float> biases = new ArrayList<>();
        for (float b : centroids.biases()) {
            biases.add(b);
        }
        IndexManifest manifest = new IndexManifest(IndexManifest.FORMAT_VERSION, params.metric().externalName(), dim,
                new IndexManifest.BuildParams(params.m(), params.efConstruction(), params.seed()), base.rows(), entries,
                new IndexManifest.Routing(IndexManifest.KMEANS, new IndexManifest.FileRef("routing/centroids.fvecs", partitions,
                        bytes.length, crc.getValue()), biases, replicated ? base.rows() : 0, true, true), null, Map.of("writer", "TestIndexes"));
        try (OutputStream out = Files.newOutputStream(dir.resolve(IndexManifest.FILE_NAME))) {
            manifest.writeTo(out);
        }
        return manifest;
    }

    /**
     * A reader of the local index in {@code dir} that opens segments lazily and whose first {@code failures}
     * segment fetches fail as an object store's outage does (after the download's own retries).
     */
    public static IndexReader lazyWithFailingFetches(Path dir, int failures) throws IOException {
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(failures);
        IndexSource flaky = fetchingThrough(dir, true, segment -> {
            if (left.getAndDecrement() > 0) {
                throw new IOException(dir.resolve(segment.path()) + ": download failed on every attempt: S3 error 503 SlowDown");
            }
        });
        return IndexReader.open(flaky, ReaderOptions.defaults().withLazySegments(true));
    }

    /** What a test's source runs before each segment fetch; it may throw as a failed download does. */
    interface BeforeFetch {
        void run(IndexManifest.Segment segment) throws IOException;
    }

    /**
     * The local index in {@code dir} as a source that runs {@code beforeFetch} before each segment fetch, and whose
     * fetch failures may pass ({@code mayPass}, as a store's outage) or not.
     */
    static IndexSource fetchingThrough(Path dir, boolean mayPass, BeforeFetch beforeFetch) {
        return new Through(dir, mayPass, beforeFetch, name -> { });
    }

    /** What a test's source runs before each write beside the manifest (a reader's lease); it may throw or block. */
    interface BeforeWrite {
        void run(String name) throws IOException;
    }

    /** The local index in {@code dir} as a store that runs {@code beforeWrite} before each write beside its manifest. */
    static IndexSource writingThrough(Path dir, BeforeWrite beforeWrite) {
        return new Through(dir, false, segment -> { }, beforeWrite);
    }

    /** The local index in {@code dir} as a store that refuses every write, as one with read-only credentials does. */
    static IndexSource refusingWrites(Path dir) {
        return writingThrough(dir, name -> {
            throw new java.nio.file.AccessDeniedException(dir + "/" + name, null, "access denied (a test's store)");
        });
    }

    /** A local index, fetched and written through a test's hooks. */
    private static final class Through implements IndexSource {
        private final LocalSource local;
        private final boolean mayPass;
        private final BeforeFetch beforeFetch;
        private final BeforeWrite beforeWrite;

        Through(Path dir, boolean mayPass, BeforeFetch beforeFetch, BeforeWrite beforeWrite) {
            this.local = new LocalSource(dir);
            this.mayPass = mayPass;
            this.beforeFetch = beforeFetch;
            this.beforeWrite = beforeWrite;
        }

        @Override
        public String location() {
            return local.location();
        }

        @Override
        public byte[] manifest() throws IOException {
            return local.manifest();
        }

        @Override
        public Path segment(IndexManifest.Segment segment) throws IOException {
            beforeFetch.run(segment);
            return local.segment(segment);
        }

        @Override
        public byte[] read(String relativePath) throws IOException {
            return local.read(relativePath);
        }

        @Override
        public long storedBytes(String relativePath) throws IOException {
            return local.storedBytes(relativePath);
        }

        @Override
        public void writeBeside(String name, byte[] content) throws IOException {
            beforeWrite.run(name);
            local.writeBeside(name, content);
        }

        @Override
        public void deleteBeside(String name) throws IOException {
            local.deleteBeside(name);
        }

        @Override
        public boolean mayPass(IOException failure) {
            return mayPass;
        }

        @Override
        public boolean verifiesOnFetch() {
            return false;
        }
    }

    /** Copies the index in {@code from} (every file, subdirectories included) to {@code to}; returns {@code to}. */
    public static Path copy(Path from, Path to) throws IOException {
        try (var files = java.nio.file.Files.walk(from)) {
            for (Path p : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                java.nio.file.Files.createDirectories(target.getParent());
                java.nio.file.Files.copy(p, target);
            }
        }
        return to;
    }

    public static FloatMatrix[] clustered(int rows, int queries, int dim, long seed) {
        FloatMatrix all = SyntheticData.clustered(rows + queries, dim, 40, seed);
        float[] q = new float[queries * dim];
        System.arraycopy(all.data(), rows * dim, q, 0, q.length);
        return new FloatMatrix[]{all.head(rows), new FloatMatrix(dim, queries, q)};
    }

    /**
     * Builds an index of an fvecs file in N segments, for trying the CLI without Spark:
     * {@code TestIndexes BASE.fvecs OUT_DIR SEGMENTS [THREADS]}.
     */
    public static void main(String[] args) throws IOException {
        FloatMatrix base = io.hnswseg.io.VecsReader.readFloats(Path.of(args[0]), Integer.MAX_VALUE);
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        IndexManifest m = write(Path.of(args[1]), base, Integer.parseInt(args[2]), HnswParams.defaults(Metric.L2), threads);
        System.out.println("wrote " + m.segments().size() + " segments of " + m.totalCount() + " vectors to " + args[1]);
    }
}
