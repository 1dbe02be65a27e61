package io.hnswseg.spark;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stopped store is named at once: S3A retried a refused connection for 2 min 39 s before its one-line error. */
class S3EndpointsTest {

    @Test
    void aStoppedStoreIsNamedBeforeAnyWork() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.util.stream.Stream.of("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
                .allMatch(v -> System.getenv(v) == null) && System.getProperty("https.proxyHost") == null,
                "a proxy is configured for this JVM: the check stands aside for it");
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            closedPort = probe.getLocalPort();
        }
        Configuration conf = new Configuration(false);
        conf.set("fs.s3a.endpoint", "http://127.0.0.1:" + closedPort);
        long start = System.nanoTime();
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> S3Endpoints.reachable(conf, "/local/input", null, "s3a://bucket/index"));
        assertTrue(e.getMessage().startsWith("s3a://bucket/index: the S3 endpoint http://127.0.0.1:" + closedPort
                + " (fs.s3a.endpoint) refuses connections"), e.getMessage());
        assertTrue(System.nanoTime() - start < 4_000_000_000L, "a refused connect is known at once");

        // A glob or a '%' that java.net.URI refuses is still checked (review helper 31: it was refused as a URI).
        e = assertThrows(InvalidInputException.class, () -> S3Endpoints.reachable(conf, "s3a://bucket/emb/part-{0,1}*.parquet"));
        assertTrue(e.getMessage().contains("refuses connections"), e.getMessage());
        Configuration none = new Configuration(false);
        S3Endpoints.reachable(none, "s3a://bucket/emb/part-{0,1}*.parquet", "s3a://bucket/100%done", "s3a://bucket/[ab]*");
        conf.set("fs.s3a.bucket.other.endpoint", "nosuchhost.invalid");
        e = assertThrows(InvalidInputException.class, () -> S3Endpoints.reachable(conf, "s3a://other/t"));
        assertTrue(e.getMessage().contains("(fs.s3a.bucket.other.endpoint) names an unknown host"), e.getMessage());

        try (ServerSocket store = new ServerSocket(0)) {
            conf.set("fs.s3a.endpoint", "127.0.0.1:" + store.getLocalPort());
            S3Endpoints.reachable(conf, "s3a://bucket/index", "S3A://bucket/x");
        }
        // Behind a proxy only the proxy may reach the endpoint; without an endpoint S3A finds AWS's own.
        conf.set("fs.s3a.endpoint", "http://127.0.0.1:" + closedPort);
        conf.set("fs.s3a.bucket.bucket.proxy.host", "proxy.example");
        S3Endpoints.reachable(conf, "s3a://bucket/index");
        Configuration aws = new Configuration(false);
        S3Endpoints.reachable(aws, "s3a://bucket/index", "s3://bucket/emrfs");
    }
}
