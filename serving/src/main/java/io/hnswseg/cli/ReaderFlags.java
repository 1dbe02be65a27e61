package io.hnswseg.cli;

import io.hnswseg.reader.IndexReader;
import io.hnswseg.reader.ReaderOptions;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The options every command that opens an index shares (a picocli mixin); {@code --index} is in {@link IndexOptions}. */
class ReaderFlags {

    @Option(names = "--cache-dir", description = "cache for remote segments (default: $HNSWSEG_CACHE_DIR or ~/.cache/hnswseg)")
    Path cacheDir;

    @Option(names = "--no-verify", description = "skip the CRC32C check of local segments when opening (downloads are always checked)")
    boolean noVerify;

    @Option(names = "--search-threads", description = "threads that search segments in parallel (default: all cores)")
    Integer searchThreads;

    @Option(names = "--s3-endpoint", description = "S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: $HNSWSEG_S3_ENDPOINT, else AWS)")
    String s3Endpoint;

    @Option(names = "--s3-region", description = "S3 region (default: $AWS_REGION, else us-east-1)")
    String s3Region;

    ReaderOptions readerOptions() {
        ReaderOptions o = ReaderOptions.defaults().withVerifyChecksums(!noVerify);
        if (cacheDir != null) {
            if (java.nio.file.Files.exists(cacheDir) && !java.nio.file.Files.isDirectory(cacheDir)) {
                throw new IllegalArgumentException("--cache-dir " + cacheDir + " is a file, not a directory");
            }
            o = o.withCacheDir(cacheDir);
        }
        if (searchThreads != null) {
            if (searchThreads < 1 || searchThreads > ReaderOptions.MAX_SEARCH_THREADS) {
                throw new IllegalArgumentException("--search-threads must be in 1.." + ReaderOptions.MAX_SEARCH_THREADS + ", got " + searchThreads);
            }
            o = o.withSearchThreads(searchThreads);
        }
        if (s3Endpoint != null) {
            try {
                java.net.URI endpoint = new java.net.URI(s3Endpoint);
                if (endpoint.getScheme() == null || endpoint.getHost() == null) {
                    throw new java.net.URISyntaxException(s3Endpoint, "no scheme and host");
                }
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("--s3-endpoint " + s3Endpoint + " is not a URL like http://127.0.0.1:9000 (" + e.getReason() + ")");
            }
            o = o.withS3Endpoint(s3Endpoint);
        }
        if (s3Region != null) {
            o = o.withS3Region(s3Region);
        }
        return o;
    }

    IndexReader open(String index) throws IOException {
        return open(index, readerOptions());
    }

    IndexReader open(String index, ReaderOptions options) throws IOException {
        IndexReader reader = IndexReader.open(index, options);
        announce(reader, options.lazySegments());
        return reader;
    }

    /** Says on stderr what {@code reader} opened; {@code lazy}: its segments are opened as searches first need them. */
    void announce(IndexReader reader, boolean lazy) {
        System.err.printf("opened %s: %d segment%s%s, %d vectors of dimension %d, %s, %.1f MB mapped%s%n", reader.location(),
                reader.segmentCount(), reader.segmentCount() == 1 ? "" : "s", lazy ? " (each opened when first needed)" : "", reader.size(),
                reader.dimension(), reader.metric().externalName(), reader.mappedBytes() / 1e6,
                reader.readLease() == null ? "" : "; holding the reader's lease " + reader.readLease());
    }
}
