package io.hnswseg.reader;

import java.nio.file.Path;

/**
 * How an index is opened. Start from {@link #defaults()} and change what you need with the {@code with}
 * methods.
 *
 * @param cacheDir        where segments of remote indexes are kept (default {@code $HNSWSEG_CACHE_DIR},
 *                        else {@code ~/.cache/hnswseg})
 * @param verifyChecksums check every segment's CRC32C against its footer and the manifest when it is
 *                        opened (downloads are always verified)
 * @param searchThreads   threads of the pool that searches segments in parallel
 * @param s3Endpoint      endpoint of an S3-compatible store (e.g. {@code http://127.0.0.1:9000}); null for
 *                        AWS. Default {@code $HNSWSEG_S3_ENDPOINT}
 * @param s3Region        region; default {@code $AWS_REGION}, else {@code us-east-1}
 * @param s3PathStyle     path-style addressing ({@code endpoint/bucket/key}), as most S3-compatible
 *                        stores want; default: on when an endpoint is set
 * @param lazySegments    open (for a remote index: download) each segment when a search first needs it,
 *                        instead of every segment when the index is opened: a routed reader's start-up,
 *                        downloads and memory then follow its traffic, and a missing or corrupt segment is
 *                        found by the first search that needs it (which fails, naming it) rather than by the
 *                        open. Default off
 * @param readLease       hold a reader's lease in the index's directory while open: a small file, written again every
 *                        30 s and deleted at the close, naming the files this reader uses, which a {@code vacuum} then
 *                        keeps whatever its grace period, even once a build has replaced the index. For readers that
 *                        stay open for long (a server); where the store refuses the write, the reader opens without
 *                        one and logs a warning. Default off
 */
public record ReaderOptions(Path cacheDir, boolean verifyChecksums, int searchThreads, String s3Endpoint,
                            String s3Region, boolean s3PathStyle, boolean lazySegments, boolean readLease) {

    /** The most search threads a reader starts: its pool starts them all at the open. */
    public static final int MAX_SEARCH_THREADS = 1024;

    public ReaderOptions {
        if (searchThreads < 1 || searchThreads > MAX_SEARCH_THREADS) {
            throw new IllegalArgumentException("searchThreads must be in [1, " + MAX_SEARCH_THREADS + "], got " + searchThreads);
        }
    }

    /** The options of an earlier version, which had no {@link #readLease}: without one. */
    public ReaderOptions(Path cacheDir, boolean verifyChecksums, int searchThreads, String s3Endpoint, String s3Region,
                         boolean s3PathStyle, boolean lazySegments) {
        this(cacheDir, verifyChecksums, searchThreads, s3Endpoint, s3Region, s3PathStyle, lazySegments, false);
    }

    /** The options from the environment ({@code HNSWSEG_CACHE_DIR}, {@code HNSWSEG_S3_ENDPOINT}, {@code AWS_REGION}), a search thread per core. */
    public static ReaderOptions defaults() {
        String cache = System.getenv("HNSWSEG_CACHE_DIR");
        Path cacheDir = cache != null && !cache.isBlank() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "hnswseg");
        String endpoint = blankToNull(System.getenv("HNSWSEG_S3_ENDPOINT"));
        String region = blankToNull(System.getenv("AWS_REGION"));
        return new ReaderOptions(cacheDir, true, Runtime.getRuntime().availableProcessors(), endpoint,
                region == null ? "us-east-1" : region, endpoint != null, false, false);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** These options with another {@link #cacheDir}. */
    public ReaderOptions withCacheDir(Path dir) {
        return new ReaderOptions(dir, verifyChecksums, searchThreads, s3Endpoint, s3Region, s3PathStyle, lazySegments, readLease);
    }

    /** These options with {@link #verifyChecksums} on or off. */
    public ReaderOptions withVerifyChecksums(boolean verify) {
        return new ReaderOptions(cacheDir, verify, searchThreads, s3Endpoint, s3Region, s3PathStyle, lazySegments, readLease);
    }

    /** These options with another {@link #searchThreads}. */
    public ReaderOptions withSearchThreads(int threads) {
        return new ReaderOptions(cacheDir, verifyChecksums, threads, s3Endpoint, s3Region, s3PathStyle, lazySegments, readLease);
    }

    /** An S3-compatible endpoint; also turns path-style addressing on. */
    public ReaderOptions withS3Endpoint(String endpoint) {
        return new ReaderOptions(cacheDir, verifyChecksums, searchThreads, endpoint, s3Region, endpoint != null, lazySegments, readLease);
    }

    /** These options with another {@link #s3Region}. */
    public ReaderOptions withS3Region(String region) {
        return new ReaderOptions(cacheDir, verifyChecksums, searchThreads, s3Endpoint, region, s3PathStyle, lazySegments, readLease);
    }

    /** These options with {@link #lazySegments} on or off. */
    public ReaderOptions withLazySegments(boolean lazy) {
        return new ReaderOptions(cacheDir, verifyChecksums, searchThreads, s3Endpoint, s3Region, s3PathStyle, lazy, readLease);
    }

    /** These options with path-style addressing on or off: off for a store that wants virtual-hosted names ({@code bucket.endpoint/key}). */
    public ReaderOptions withS3PathStyle(boolean pathStyle) {
        return new ReaderOptions(cacheDir, verifyChecksums, searchThreads, s3Endpoint, s3Region, pathStyle, lazySegments, readLease);
    }

    /** These options with {@link #readLease} on or off. */
    public ReaderOptions withReadLease(boolean lease) {
        return new ReaderOptions(cacheDir, verifyChecksums, searchThreads, s3Endpoint, s3Region, s3PathStyle, lazySegments, lease);
    }
}
