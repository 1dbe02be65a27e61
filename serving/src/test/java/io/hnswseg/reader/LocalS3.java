package io.hnswseg.reader;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * An S3 store on loopback for the tests of both modules and for measuring the S3 path by hand: s3proxy over
 * an in-memory store, checking signed requests (V2 or V4) with fixed credentials, plus an SDK client of it.
 * Run as a program it serves until killed, after uploading local directories into a bucket:
 * <pre>
 * java -cp ... io.hnswseg.reader.LocalS3 9000 BUCKET [DIR=PREFIX ...]
 * </pre>
 * (see docs/performance.md, "Parquet on S3 in, S3 out").
 */
public final class LocalS3 implements AutoCloseable {

    /** The access key id every request must be signed with. */
    public static final String ACCESS = "hnswseg-test-access";
    /** The secret key every request must be signed with. */
    public static final String SECRET = "hnswseg-test-secret";

    private final BlobStoreContext context;
    private final S3Proxy proxy;
    private final S3Client client;
    private final String endpoint;

    private LocalS3(BlobStoreContext context, S3Proxy proxy, String endpoint) {
        this.context = context;
        this.proxy = proxy;
        this.endpoint = endpoint;
        this.client = S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).region(Region.US_EAST_1)
                .endpointOverride(URI.create(endpoint)).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build();
    }

    /** Starts a store on {@code port} (0: any free one) with the given buckets, and returns once it answers. */
    public static LocalS3 start(int port, String... buckets) throws Exception {
        BlobStoreContext context = ContextBuilder.newBuilder("transient").credentials("unused", "unused")
                .build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET).build();
        proxy.start();
        for (int i = 0; i < 500 && !"STARTED".equals(proxy.getState()); i++) {
            Thread.sleep(10);
        }
        LocalS3 s3 = new LocalS3(context, proxy, "http://127.0.0.1:" + proxy.getPort());
        try {
            if (!"STARTED".equals(proxy.getState())) {
                throw new IllegalStateException("s3proxy did not start on port " + port + ": " + proxy.getState());
            }
            for (String bucket : buckets) {
                s3.client.createBucket(b -> b.bucket(bucket));
            }
            return s3;
        } catch (RuntimeException e) {
            s3.close();
            throw e;
        }
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String endpoint() {
        return endpoint;
    }

    /** A client of this store, signed with {@link #ACCESS} and {@link #SECRET}; closed by {@link #close}. */
    public S3Client client() {
        return client;
    }

    /**
     * Uploads every regular file under {@code dir} to {@code bucket} as {@code prefix/<relative path>}, byte for
     * byte; files whose name starts with a dot (Hadoop's checksum files) are left out.
     */
    public void upload(Path dir, String bucket, String prefix) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
                String key = prefix + "/" + dir.relativize(p).toString().replace('\\', '/');
                client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(p));
            }
        }
    }

    @Override
    public void close() {
        client.close();
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("s3proxy did not stop", e);
        } finally {
            context.close();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: LocalS3 PORT BUCKET [DIR=PREFIX ...]");
            System.exit(2);
        }
        LocalS3 s3 = start(Integer.parseInt(args[0]), args[1]);
        for (int i = 2; i < args.length; i++) {
            String[] upload = args[i].split("=", 2);
            if (upload.length != 2) {
                System.err.println("not DIR=PREFIX: " + args[i]);
                System.exit(2);
            }
            s3.upload(Path.of(upload[0]), args[1], upload[1]);
        }
        System.out.println("serving s3://" + args[1] + " at " + s3.endpoint() + " (AWS_ACCESS_KEY_ID=" + ACCESS
                + " AWS_SECRET_ACCESS_KEY=" + SECRET + "); Ctrl-C to stop");
        Thread.currentThread().join();
    }
}
