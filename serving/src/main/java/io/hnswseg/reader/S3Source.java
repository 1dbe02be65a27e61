package io.hnswseg.reader;

import io.hnswseg.manifest.IndexManifest;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** An index under an S3 prefix ({@code s3://bucket/prefix} or {@code s3a://...}); segments go through the cache. */
final class S3Source implements IndexSource {

    private final String location;
    private final String bucket;
    private final String prefix;
    private final S3Client s3;
    private final SegmentCache cache;

    /**
     * @param uri {@code s3://bucket/prefix} or {@code s3a://...}; the prefix is the key as written, spaces and
     *            {@code %} included, as the build (Hadoop's S3A) writes it: a strict URI parse would refuse a
     *            space and decode {@code %20}, naming other keys
     */
    S3Source(String uri, ReaderOptions options) {
        this.location = uri;
        String[] bucketAndPrefix = bucketAndPrefix(uri);
        this.bucket = bucketAndPrefix[0];
        this.prefix = bucketAndPrefix[1];
        S3ClientBuilder builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(Region.of(options.s3Region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .forcePathStyle(options.s3PathStyle())
                // Checksums only where S3 requires them: S3-compatible stores differ in what they accept.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (options.s3Endpoint() != null) {
            builder.endpointOverride(URI.create(options.s3Endpoint()));
        }
        this.s3 = builder.build();
        this.cache = new SegmentCache(cacheDir(uri, options));
    }

    /** Where the cache keeps the copies of the segments of the index at {@code uri}. */
    static Path cacheDir(String uri, ReaderOptions options) {
        String[] bucketAndPrefix = bucketAndPrefix(uri);
        return options.cacheDir().resolve("s3").resolve(bucketAndPrefix[0]).resolve(bucketAndPrefix[1].isEmpty() ? "_" : bucketAndPrefix[1]);
    }

    /** The bucket and the key prefix (no leading or trailing slash) of {@code s3://bucket/prefix}. */
    private static String[] bucketAndPrefix(String uri) {
        String rest = uri.substring(uri.indexOf("://") + 3);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        if (bucket.isEmpty()) {
            throw new IllegalArgumentException(uri + ": no bucket (expected s3://bucket/prefix)");
        }
        String path = slash < 0 ? "" : rest.substring(slash);
        return new String[] {bucket, path.replaceAll("^/+", "").replaceAll("/+$", "")};
    }

    private String key(String relative) {
        return prefix.isEmpty() ? relative : prefix + "/" + relative;
    }

    private String uriOf(String relative) {
        return "s3://" + bucket + "/" + key(relative);
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public boolean cachesCopies() {
        return true;
    }

    @Override
    public byte[] manifest() throws IOException {
        return read(IndexManifest.FILE_NAME);
    }

    /**
     * The whole object, retried as a segment's download is: a body cut short by a clean close arrived as if complete
     * (the SDK's client does not check the length), and a manifest read half was reported as a damaged index, a
     * reset as "Connection reset" naming nothing (probe helper 94).
     */
    @Override
    public byte[] read(String relativePath) throws IOException {
        IOException last = null;
        for (int attempt = 1; attempt <= SegmentCache.ATTEMPTS; attempt++) {
            String where = " (attempt " + attempt + " of " + SegmentCache.ATTEMPTS + ")";
            try (ResponseInputStream<GetObjectResponse> in = get(relativePath)) {
                byte[] bytes = in.readAllBytes();
                Long length = in.response().contentLength();
                if (length == null || bytes.length == length) {
                    return bytes;
                }
                last = new IOException(uriOf(relativePath) + ": " + bytes.length + " of its " + length + " bytes arrived" + where);
            } catch (SegmentCache.Fatal | NoSuchFileException e) {
                throw e;
            } catch (IOException | SdkException e) {
                if (Thread.currentThread().isInterrupted() || e instanceof java.io.InterruptedIOException
                        || e instanceof software.amazon.awssdk.core.exception.AbortedException) {
                    // Stopped, not failed (review helper 96): no more tries.
                    throw (java.io.InterruptedIOException) new java.io.InterruptedIOException("interrupted reading "
                            + uriOf(relativePath)).initCause(e);
                }
                String said = String.valueOf(e.getMessage());
                last = new IOException((said.startsWith(uriOf(relativePath)) ? said : uriOf(relativePath) + ": " + said) + where, e);
            }
            if (attempt < SegmentCache.ATTEMPTS) {
                SegmentCache.sleep(SegmentCache.FIRST_BACKOFF_MILLIS << (attempt - 1));
            }
        }
        throw last;
    }

    @Override
    public Path segment(IndexManifest.Segment segment) throws IOException {
        return cache.fetch(segment, uriOf(segment.path()), into -> {
            try (InputStream in = get(segment.path())) {
                java.io.OutputStream opened;
                try {
                    opened = Files.newOutputStream(into);
                } catch (IOException e) {
                    throw local(into, e);
                }
                try (java.io.OutputStream out = opened) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        try {
                            out.write(buffer, 0, n);
                        } catch (IOException e) {
                            throw local(into, e);
                        }
                    }
                }
            }
        });
    }

    /** A write of this machine's that failed (a full disk): no store outage to wait out ({@link SegmentCache.Local}). */
    private static SegmentCache.Local local(Path file, IOException e) {
        return new SegmentCache.Local(file + ": " + io.hnswseg.io.LocalFiles.describe(e), e);
    }

    /** A download the cache retried in vain for reasons of the transfer; not a missing or wrong object, nor a local error. */
    @Override
    public boolean mayPass(IOException failure) {
        return failure instanceof SegmentCache.Unavailable;
    }

    @Override
    public boolean verifiesOnFetch() {
        return true;
    }

    @Override
    public long storedBytes(String relativePath) throws IOException {
        try {
            return s3.headObject(HeadObjectRequest.builder().bucket(bucket).key(key(relativePath)).build()).contentLength();
        } catch (SdkException e) {
            if (e instanceof NoSuchKeyException || (e instanceof S3Exception s && s.statusCode() == 404)) {
                // A missing object, which inspect lists; a refused HEAD is thrown as the store's refusal.
                throw (NoSuchFileException) new NoSuchFileException(uriOf(relativePath), null, "object listed in the manifest is missing").initCause(e);
            }
            throw failure(relativePath, e);
        }
    }

    @Override
    public void writeBeside(String name, byte[] content) throws IOException {
        try {
            s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key(name)).build(), RequestBody.fromBytes(content));
        } catch (SdkException e) {
            throw new IOException(uriOf(name) + ": cannot write it: " + e.getMessage(), e);
        }
    }

    @Override
    public void deleteBeside(String name) throws IOException {
        try {
            s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key(name)).build());
        } catch (SdkException e) {
            throw new IOException(uriOf(name) + ": cannot delete it: " + e.getMessage(), e);
        }
    }

    /** Opens an object; errors name the object and say whether retrying can help. */
    private ResponseInputStream<GetObjectResponse> get(String relative) throws IOException {
        try {
            return s3.getObject(GetObjectRequest.builder().bucket(bucket).key(key(relative)).build());
        } catch (SdkException e) {
            throw failure(relative, e);
        }
    }

    /**
     * A request's failure for the object at {@code relative}, naming it and saying whether retrying can help: a missing
     * manifest is a {@link NoSuchFileException} (a server following the index says it is gone), other refusals {@link
     * SegmentCache.Fatal}, the rest (outages, timeouts, 5xx) plain IOExceptions.
     */
    private IOException failure(String relative, SdkException failure) {
        String name = uriOf(relative);
        if (failure instanceof NoSuchBucketException) {
            return new SegmentCache.Fatal(name + ": bucket '" + bucket + "' does not exist", failure);
        }
        int status = failure instanceof S3Exception e ? e.statusCode() : -1;
        if (failure instanceof NoSuchKeyException || status == 404) {
            if (IndexManifest.FILE_NAME.equals(relative)) {
                NoSuchFileException missing = new NoSuchFileException(name, null, "no manifest: not an hnswseg index, or its build never committed");
                missing.initCause(failure);
                return missing;
            }
            return new SegmentCache.Fatal(name + ": object listed in the manifest is missing", failure);
        }
        if (status < 0) {
            return new IOException(name + ": cannot read from S3: " + failure.getMessage(), failure);
        }
        // A HEAD's error has no body, so no code (review helper 79: "access denied (403 null)").
        String code = ((S3Exception) failure).awsErrorDetails().errorCode() == null ? ""
                : " " + ((S3Exception) failure).awsErrorDetails().errorCode();
        if (status == 403 || status == 401) {
            return new SegmentCache.Fatal(name + ": access denied (" + status + code
                    + "): check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE) and the bucket policy", failure);
        }
        if (status >= 300 && status < 500 && status != 408 && status != 429) {
            // A redirect or a refused request (400, 416, ...): the same request will be refused again.
            return new SegmentCache.Fatal(name + ": S3 error " + status + code + ": " + failure.getMessage(), failure);
        }
        return new IOException(name + ": S3 error " + status + code + ": " + failure.getMessage(), failure);
    }

    @Override
    public void close() {
        s3.close();
    }
}
