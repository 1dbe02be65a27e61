package io.hnswseg.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.hnswseg.distance.Metric;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The manifest of an index: format version, metric, dimension, build parameters, total count and one
 * entry per segment (relative path, count, bytes, CRC32C). Format 2 adds how the vectors were partitioned
 * ({@link Routing}: for a content-partitioned index, the centroids file and each segment's centroid) and
 * what the build measured of its own recall ({@link Quality}, which also gives readers their default
 * nprobe and ef). Format 1 manifests are still read: their segments are all searched.
 *
 * <p>JSON field names are snake_case, e.g. {@code "format_version"}, {@code "total_count"}.
 *
 * @param totalCount the vectors (input rows) in the index, exact copies included; the segments' counts add up to it plus
 *                   {@link Routing#replicatedVectors()}
 * @param routing    null for an index partitioned at random (every query visits every segment)
 * @param quality    null when the build measured no recall
 * @param summary    free-form figures of the build that wrote the index (may be empty, never null)
 * @param vectorLength the typical (median) length of the input's vectors (cosine: before it normalises them), on the
 *                   build's sample; null in manifests written before it was recorded. An ip reader searches a query
 *                   whose dot products with vectors this long are too small for float32 distances scaled up ({@link
 *                   io.hnswseg.distance.Vectors#ipQueryScale})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record IndexManifest(int formatVersion, String metric, int dimension, BuildParams build, long totalCount,
                            List<Segment> segments, Routing routing, Quality quality, Map<String, Object> summary,
                            Double vectorLength) {

    /** The manifest format this code writes. */
    public static final int FORMAT_VERSION = 2;
    /** The oldest manifest format this code reads. */
    public static final int OLDEST_READABLE_VERSION = 1;
    /** The file name of the manifest inside an index directory. */
    public static final String FILE_NAME = "manifest.json";
    /** The widest beam a manifest may recommend: the widest a search request may ask for (serve's limit too). */
    public static final int MAX_RECOMMENDED_EF = 10_000;
    /** The partitioner of an index whose vectors went to partitions at random. */
    public static final String RANDOM = "random";
    /** The partitioner of an index partitioned by k-means centroids. */
    public static final String KMEANS = "kmeans";

    /**
     * Unknown fields are read past (a later format may add some); anything else that is not exactly what a
     * build writes is refused: text after the object, a field given twice, a number as a string or a
     * fraction where a count belongs. A hand-edited manifest is then read as written or not at all.
     */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    /** The top-level fields, as written. */
    private static final Set<String> FIELDS = java.util.Arrays.stream(IndexManifest.class.getRecordComponents())
            .map(c -> new PropertyNamingStrategies.SnakeCaseStrategy().translate(c.getName()))
            .collect(java.util.stream.Collectors.toUnmodifiableSet());

    /** Parameters the segments were built with. */
    public record BuildParams(int m, int efConstruction, long seed) {
    }

    /**
     * One segment of the index.
     *
     * @param path     location relative to the index directory, with '/' separators
     * @param crc32c   the CRC32C stored in the segment's footer
     * @param centroid for a routed index, the index of the segment's centroid in the centroids file; else null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Segment(String path, long count, long bytes, long crc32c, Integer centroid, Long distinct) {

        public Segment(String path, long count, long bytes, long crc32c) {
            this(path, count, bytes, crc32c, null, null);
        }

        public Segment(String path, long count, long bytes, long crc32c, Integer centroid) {
            this(path, count, bytes, crc32c, centroid, null);
        }

        /**
         * Its vectors less the exact copies of another of them: what the reach rule's guard counts ({@code
         * ProbeBeams#reaches}); the count itself in manifests written before the twenty-fifth stop, which lack it.
         */
        public long distinctOrCount() {
            return distinct == null ? count : distinct;
        }
    }

    /**
     * How vectors were partitioned.
     *
     * @param partitioner       {@link #KMEANS} (then {@code centroids} is set) or {@link #RANDOM}
     * @param centroids         the centroids file: {@code count} float32 vectors of the index's dimension in
     *                          fvecs layout, one per partition
     * @param biases            per centroid, added to its distance when routing (balances partition sizes)
     * @param replicatedVectors extra copies: vectors indexed also in their second-nearest partition
     * @param segmentCentroidCrcs true when every segment records its centroid's CRC32C in its header (builds
     *                          since 2026-12-04), so that a segment without one is refused; null or false for
     *                          older indexes, whose segments record none
     * @param segmentCentroidBiases true when every segment also records its centroid's bias (builds since the
     *                          fourteenth stop on 2026-12-04), so that a segment without one is refused
     */
    public record Routing(String partitioner, FileRef centroids, List<Float> biases, long replicatedVectors,
                          Boolean segmentCentroidCrcs, Boolean segmentCentroidBiases) {

        public Routing(String partitioner, FileRef centroids, List<Float> biases, long replicatedVectors) {
            this(partitioner, centroids, biases, replicatedVectors, null, null);
        }

        /** Whether every segment must record its centroid's CRC32C. */
        public boolean segmentsRecordCentroidCrcs() {
            return Boolean.TRUE.equals(segmentCentroidCrcs);
        }

        /** Whether every segment must record its centroid's bias. */
        public boolean segmentsRecordCentroidBiases() {
            return Boolean.TRUE.equals(segmentCentroidBiases);
        }
    }

    /** A small side file of the index, checked like a segment. */
    public record FileRef(String path, int count, long bytes, long crc32c) {
    }

    /**
     * Recall the build measured on its own index.
     *
     * @param queries      vectors searched; sampled from the input (each one's own vector, with its copies,
     *                     left out of the truth and of the results) or from a file
     * @param source       where the queries came from
     * @param targetRecall recall@10 the defaults were chosen to reach
     * @param reached      whether any point of the grid reached it
     * @param defaults     the cheapest point reaching the target (else the best one): readers' default
     *                     nprobe and ef
     * @param grid         every point measured
     */
    public record Quality(int queries, String source, double targetRecall, boolean reached, GridPoint defaults,
                          List<GridPoint> grid) {
    }

    /**
     * One (nprobe, ef) setting and its measured recall@10.
     *
     * @param nprobe        segments searched per query (0: all)
     * @param microsPerQuery mean time of its segment searches per query, as measured in the build (on a
     *                       busy machine a rough figure, not a latency promise)
     * @param bytesScoredPerQuery mean bytes of vectors scored per query (int8 codes, float vectors, centroids):
     *                       counted, so the same index always gives the same figure; settings are compared
     *                       by it. 0 in manifests written before it was recorded
     * @param recallAt10ByIds recall@10 counting only the ids the truth lists, where {@code recallAt10} also counts
     *                       a result as near as the 10th true neighbour to within float32 rounding (exact copies,
     *                       equal distances, or neighbours float32 distances cannot tell apart); null in manifests
     *                       written before 2026-12-05
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record GridPoint(int nprobe, int ef, double recallAt10, double microsPerQuery, long bytesScoredPerQuery,
                            Double recallAt10ByIds) {

        public GridPoint(int nprobe, int ef, double recallAt10, double microsPerQuery, long bytesScoredPerQuery) {
            this(nprobe, ef, recallAt10, microsPerQuery, bytesScoredPerQuery, null);
        }
    }

    public IndexManifest {
        segments = segments == null ? List.of() : List.copyOf(segments);
        summary = summary == null ? Map.of() : Map.copyOf(summary);
    }

    /** A manifest that records no vector length (as builds before 2026-12-05 wrote them). */
    public IndexManifest(int formatVersion, String metric, int dimension, BuildParams build, long totalCount,
                         List<Segment> segments, Routing routing, Quality quality, Map<String, Object> summary) {
        this(formatVersion, metric, dimension, build, totalCount, segments, routing, quality, summary, null);
    }

    /** A format 2 manifest of an index partitioned at random, without measured quality. */
    public IndexManifest(String metric, int dimension, BuildParams build, long totalCount, List<Segment> segments,
                         Map<String, Object> summary) {
        this(FORMAT_VERSION, metric, dimension, build, totalCount, segments, null, null, summary, null);
    }

    /** The metric, parsed. */
    public Metric metricValue() {
        return Metric.parse(metric);
    }

    /** {@link #KMEANS} or {@link #RANDOM}. */
    public String partitioner() {
        return routing == null ? RANDOM : routing.partitioner();
    }

    /** Whether queries can be routed to a few segments (a k-means index). */
    public boolean routed() {
        return routing != null && routing.centroids() != null;
    }

    /** Segments that hold vectors: the most a query can visit. */
    public int searchableSegments() {
        return (int) segments.stream().filter(s -> s.count() > 0).count();
    }

    /**
     * The segments a query visits by default: the build's recommendation (the cheapest measured point
     * reaching its target recall) on a routed index, else 0 (every segment).
     */
    public int defaultNprobe() {
        GridPoint recommended = quality == null ? null : quality.defaults();
        return recommended == null || !routed() ? 0 : Math.min(recommended.nprobe(), searchableSegments());
    }

    /** The search beam by default: the build's recommendation, else {@code fallback}. */
    public int defaultEf(int fallback) {
        GridPoint recommended = quality == null ? null : quality.defaults();
        return recommended == null ? fallback : recommended.ef();
    }

    public byte[] toJson() {
        try {
            return ManifestChecksum.seal(JSON.writeValueAsBytes(this));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise manifest", e);
        }
    }

    public void writeTo(OutputStream out) throws IOException {
        out.write(toJson());
        out.flush();
    }

    /** Parses and validates a manifest; see {@link #read(InputStream, String)}. */
    public static IndexManifest parse(byte[] json, String name) {
        JacksonVersion.require();
        boolean checked = ManifestChecksum.check(json, name);
        IndexManifest manifest;
        try {
            manifest = JSON.readValue(json, IndexManifest.class);
            if (!checked) {
                refuseUnknownEnd(json, name);
            }
        } catch (JsonProcessingException e) {
            throw new InvalidManifestException(name, "not a valid manifest: " + io.hnswseg.io.JsonProblems.describe(e));
        } catch (IOException e) {
            throw new InvalidManifestException(name, "not a valid manifest: " + e.getMessage());
        }
        if (manifest == null) {
            throw new InvalidManifestException(name, "empty manifest");
        }
        manifest.validate(name);
        return manifest;
    }

    /**
     * Whether {@code json} carries the checksum a build writes as its last field (since 2026-12-06); a manifest without
     * it is read unchecked.
     */
    public static boolean checksummed(byte[] json) {
        return ManifestChecksum.present(json);
    }

    /**
     * Without its checksum, a manifest whose last field looks like it (a name of its length that differs in a byte or
     * two, an integer value) is the checksum altered in transit: a checksum whose name one altered byte made unknown
     * was read past, and the manifest read unchecked (probe helper 97). Any other unknown field is read past, last or
     * not, so that a later build's manifest stays readable with its checksum removed by hand (review helper 101).
     */
    private static void refuseUnknownEnd(byte[] json, String name) throws IOException {
        java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> last = null;
        for (var fields = JSON.readTree(json).fields(); fields.hasNext(); ) {
            last = fields.next();
        }
        if (last != null && !FIELDS.contains(last.getKey()) && last.getValue().isIntegralNumber()
                && differences(last.getKey(), ManifestChecksum.FIELD) <= 2) {
            throw new InvalidManifestException(name, "its last field \"" + last.getKey() + "\" is not one this reader knows, and"
                    + " looks like " + ManifestChecksum.FIELD + ", which a build writes last: the manifest was damaged or edited (an"
                    + " edited manifest is read once that field is removed)");
        }
    }

    /** The characters two names of one length differ in, or their length apart. */
    private static int differences(String a, String b) {
        if (a.length() != b.length()) {
            return Integer.MAX_VALUE;
        }
        int n = 0;
        for (int i = 0; i < a.length(); i++) {
            n += a.charAt(i) == b.charAt(i) ? 0 : 1;
        }
        return n;
    }

    /**
     * Reads a manifest and checks it: a readable format version, a known metric, a positive dimension,
     * segment counts that add up to the total, relative paths without "..", no segment listed twice (by
     * its path after normalisation, or by its content: size and CRC32C), at least one vector, and for a
     * routed index a centroid per segment within the centroids file.
     *
     * @param name where it came from, for error messages
     * @throws InvalidManifestException naming the manifest and the problem
     */
    public static IndexManifest read(InputStream in, String name) throws IOException {
        return parse(in.readAllBytes(), name);
    }

    private void validate(String name) {
        if (formatVersion < OLDEST_READABLE_VERSION || formatVersion > FORMAT_VERSION) {
            throw new InvalidManifestException(name, "unsupported manifest format_version " + formatVersion
                    + " (this reader supports " + OLDEST_READABLE_VERSION + " to " + FORMAT_VERSION + ")");
        }
        if (metric == null) {
            throw new InvalidManifestException(name, "missing field metric");
        }
        try {
            Metric.parse(metric);
        } catch (IllegalArgumentException e) {
            throw new InvalidManifestException(name, "field metric: " + e.getMessage());
        }
        if (dimension <= 0) {
            throw new InvalidManifestException(name, "field dimension is " + dimension + ", must be > 0");
        }
        long sum = 0;
        Set<String> paths = new HashSet<>();
        Set<String> contents = new HashSet<>();
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            if (s == null || s.path() == null || s.path().isEmpty()) {
                throw new InvalidManifestException(name, "segments[" + i + "] has no path");
            }
            String path = normalizedPath(s.path(), name, "segments[" + i + "]");
            if (!paths.add(path)) {
                throw new InvalidManifestException(name, "segment " + s.path() + " is listed twice (as " + path + ")");
            }
            // A build writes no segment for an empty partition, so a count of 0 is damage; a reader that trusts it
            // (one that opens segments lazily) would never search a segment that holds vectors.
            if (s.count() <= 0 || s.bytes() <= 0) {
                throw new InvalidManifestException(name, "segment " + s.path() + " has count " + s.count() + " and bytes " + s.bytes()
                        + ": both must be > 0");
            }
            if (s.distinct() != null && (s.distinct() <= 0 || s.distinct() > s.count())) {
                throw new InvalidManifestException(name, "segment " + s.path() + " has " + s.distinct() + " distinct vectors of "
                        + s.count() + ": must be in 1.." + s.count());
            }
            if (!contents.add(s.bytes() + "/" + s.crc32c())) {
                throw new InvalidManifestException(name, "segment " + s.path() + " has the size and CRC32C of another listed "
                        + "segment: the same file listed twice under two names");
            }
            sum += s.count();
        }
        long replicated = routing == null ? 0 : routing.replicatedVectors();
        if (replicated < 0 || sum != totalCount + replicated) {
            throw new InvalidManifestException(name, "segment counts add up to " + sum + " but total_count is " + totalCount
                    + (replicated != 0 ? " plus " + replicated + " replicated" : ""));
        }
        if (totalCount <= 0) {
            throw new InvalidManifestException(name, "the index holds no vectors (" + segments.size() + " segments, total_count "
                    + totalCount + ")");
        }
        if (vectorLength != null && !(vectorLength >= 0 && vectorLength < Double.POSITIVE_INFINITY)) {
            throw new InvalidManifestException(name, "vector_length " + vectorLength + ": must be a finite number >= 0");
        }
        validateRouting(name);
        validateQuality(name);
    }

    /** The recommended setting becomes every reader's default search, so it must be one they can run. */
    private void validateQuality(String name) {
        if (quality == null) {
            return;
        }
        if (quality.defaults() == null || quality.grid() == null) {
            throw new InvalidManifestException(name, "quality: needs both defaults and grid");
        }
        checkPoint(quality.defaults(), name, "quality.defaults");
        for (int i = 0; i < quality.grid().size(); i++) {
            checkPoint(quality.grid().get(i), name, "quality.grid[" + i + "]");
        }
    }

    private void checkPoint(GridPoint p, String name, String what) {
        if (p == null) {
            throw new InvalidManifestException(name, what + " is null");
        }
        int probes = routing != null && KMEANS.equals(routing.partitioner()) ? segments.size() : 0;
        if (p.nprobe() < 0 || p.nprobe() > probes) {
            throw new InvalidManifestException(name, what + ": nprobe " + p.nprobe() + " outside 0.." + probes
                    + (probes == 0 ? " (an index partitioned at random searches every segment)" : " (the segments)"));
        }
        if (p.ef() < 1 || p.ef() > MAX_RECOMMENDED_EF) {
            throw new InvalidManifestException(name, what + ": ef " + p.ef() + " outside 1.." + MAX_RECOMMENDED_EF);
        }
        if (!(p.recallAt10() >= 0 && p.recallAt10() <= 1)) {
            throw new InvalidManifestException(name, what + ": recall_at_10 " + p.recallAt10() + " outside 0..1");
        }
        if (p.recallAt10ByIds() != null && !(p.recallAt10ByIds() >= 0 && p.recallAt10ByIds() <= 1)) {
            throw new InvalidManifestException(name, what + ": recall_at10_by_ids " + p.recallAt10ByIds() + " outside 0..1");
        }
    }

    private void validateRouting(String name) {
        if (routing == null) {
            return;
        }
        String partitioner = routing.partitioner();
        if (!KMEANS.equals(partitioner) && !RANDOM.equals(partitioner)) {
            throw new InvalidManifestException(name, "routing.partitioner '" + partitioner + "': expected " + KMEANS + " or " + RANDOM);
        }
        FileRef c = routing.centroids();
        if (KMEANS.equals(partitioner) != (c != null)) {
            throw new InvalidManifestException(name, "routing: a " + partitioner + " index " + (c == null ? "needs" : "has no use for")
                    + " a centroids file");
        }
        if (c == null) {
            return;
        }
        normalizedPath(c.path(), name, "routing.centroids");
        if (c.count() <= 0 || c.bytes() != (long) c.count() * (4L + 4L * dimension)) {
            throw new InvalidManifestException(name, "routing.centroids: " + c.count() + " centroids of dimension " + dimension
                    + " do not take " + c.bytes() + " bytes");
        }
        if (routing.biases() == null || routing.biases().size() != c.count()) {
            throw new InvalidManifestException(name, "routing.biases: expected one per centroid (" + c.count() + ")");
        }
        for (int i = 0; i < c.count(); i++) {
            Float bias = routing.biases().get(i);
            if (bias == null || !Float.isFinite(bias)) {
                throw new InvalidManifestException(name, "routing.biases[" + i + "] is " + bias + ": each must be a finite number");
            }
        }
        Set<Integer> taken = new HashSet<>();
        for (Segment s : segments) {
            Integer centroid = s.centroid();
            if (centroid == null || centroid < 0 || centroid >= c.count() || !taken.add(centroid)) {
                throw new InvalidManifestException(name, "segment " + s.path() + " has centroid " + centroid
                        + ": each segment of a routed index needs its own centroid in 0.." + (c.count() - 1));
            }
        }
    }

    /**
     * The path with empty and "." steps removed, so two spellings of one file compare equal.
     *
     * @throws InvalidManifestException for an absolute path, a ".." step, a backslash or a control character
     */
    static String normalizedPath(String path, String name, String what) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.contains("\\")
                || java.util.Arrays.asList(path.split("/")).contains("..")) {
            throw new InvalidManifestException(name, what + " path '" + path + "' must be relative, with '/' and no '..'");
        }
        if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            // A build never writes one; a line break would also split the path in two in a reader's lease, which a vacuum
            // then matched against nothing (review helper 113).
            String shown = new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(path));
            throw new InvalidManifestException(name, what + " path \"" + shown + "\" holds a control character (a line break, a"
                    + " tab, ...), which a build never writes");
        }
        String normal = normalPath(path);
        if (normal.isEmpty()) {
            throw new InvalidManifestException(name, what + " path '" + path + "' names no file");
        }
        return normal;
    }

    /** {@code path} without empty or {@code .} steps: {@code segments//./a.hseg} is {@code segments/a.hseg}. */
    public static String normalPath(String path) {
        StringBuilder normal = new StringBuilder();
        for (String step : path.split("/")) {
            if (!step.isEmpty() && !step.equals(".")) {
                normal.append(normal.length() == 0 ? "" : "/").append(step);
            }
        }
        return normal.toString();
    }

    @Override
    public String toString() {
        return new String(toJson(), StandardCharsets.UTF_8);
    }
}
