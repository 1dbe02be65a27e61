package io.hnswseg.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
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
 * entry per segment (relative path, count, bytes, CRC32C). A build summary may ride along.
 *
 * <p>JSON field names are snake_case, e.g. {@code "format_version"}, {@code "total_count"}.
 *
 * @param summary free-form figures of the build that wrote the index (may be empty, never null)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record IndexManifest(int formatVersion, String metric, int dimension, BuildParams build, long totalCount,
                            List<Segment> segments, Map<String, Object> summary) {

    /** The manifest format this code writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** The file name of the manifest inside an index directory. */
    public static final String FILE_NAME = "manifest.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Parameters the segments were built with. */
    public record BuildParams(int m, int efConstruction, long seed) {
    }

    /**
     * One segment of the index.
     *
     * @param path   location relative to the index directory, with '/' separators
     * @param crc32c the CRC32C stored in the segment's footer
     */
    public record Segment(String path, long count, long bytes, long crc32c) {
    }

    public IndexManifest {
        segments = segments == null ? List.of() : List.copyOf(segments);
        summary = summary == null ? Map.of() : Map.copyOf(summary);
    }

    /** The metric, parsed. */
    public Metric metricValue() {
        return Metric.parse(metric);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
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
        IndexManifest manifest;
        try {
            manifest = JSON.readValue(json, IndexManifest.class);
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
     * Reads a manifest and checks it: known format version, a known metric, a positive dimension, segment
     * counts that add up to the total, relative paths without "..", no segment listed twice.
     *
     * @param name where it came from, for error messages
     * @throws InvalidManifestException naming the manifest and the problem
     */
    public static IndexManifest read(InputStream in, String name) throws IOException {
        return parse(in.readAllBytes(), name);
    }

    private void validate(String name) {
        if (formatVersion != FORMAT_VERSION) {
            throw new InvalidManifestException(name, "unsupported manifest format_version " + formatVersion
                    + " (this reader supports " + FORMAT_VERSION + ")");
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
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            if (s == null || s.path() == null || s.path().isEmpty()) {
                throw new InvalidManifestException(name, "segments[" + i + "] has no path");
            }
            if (s.path().startsWith("/") || s.path().contains("..") || s.path().contains("\\")) {
                throw new InvalidManifestException(name, "segments[" + i + "] path '" + s.path() + "' must be relative, with '/' and no '..'");
            }
            if (!paths.add(s.path())) {
                throw new InvalidManifestException(name, "segment " + s.path() + " is listed twice");
            }
            if (s.count() < 0 || s.bytes() <= 0) {
                throw new InvalidManifestException(name, "segment " + s.path() + " has count " + s.count() + " and bytes " + s.bytes());
            }
            sum += s.count();
        }
        if (sum != totalCount) {
            throw new InvalidManifestException(name, "segment counts add up to " + sum + " but total_count is " + totalCount);
        }
    }

    @Override
    public String toString() {
        return new String(toJson(), StandardCharsets.UTF_8);
    }
}
