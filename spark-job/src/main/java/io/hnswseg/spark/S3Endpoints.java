package io.hnswseg.spark;

import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;

/**
 * Refuses, before any work, an {@code s3a://} path whose configured endpoint refuses connections or names no
 * host. S3A retries a refused connection for minutes without a word (2 min 39 s for a {@code vacuum} of a
 * stopped store); one TCP connect tells in milliseconds. Only an endpoint set in the configuration is tried
 * (AWS's own need not be), and none behind a proxy, which alone may reach it. A connect that times out says
 * nothing: the store may be slow, and S3A's own timeouts then speak.
 */
final class S3Endpoints {

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private S3Endpoints() {
    }

    /** Checks the endpoint of every {@code s3a://} URI among {@code uris} (nulls and other schemes pass). */
    static void reachable(Configuration conf, String... uris) {
        for (String uri : uris) {
            if (uri == null || !uri.regionMatches(true, 0, "s3a://", 0, 6)) {
                continue;
            }
            String bucket;
            try {
                // Hadoop's parse, as the job's: a glob or a '%' that java.net.URI refuses is a path S3A takes.
                bucket = new org.apache.hadoop.fs.Path(uri).toUri().getAuthority();
            } catch (IllegalArgumentException notAPath) {
                continue;
            }
            String key = setting(conf, bucket, "endpoint");
            String endpoint = conf.getTrimmed(key, "");
            if (endpoint.isEmpty() || behindProxy(conf, bucket)) {
                continue;
            }
            InetSocketAddress address;
            try {
                address = address(endpoint, conf.getBoolean(setting(conf, bucket, "connection.ssl.enabled"), true));
            } catch (IllegalArgumentException unparsed) {
                continue;
            }
            try (Socket socket = new Socket()) {
                socket.connect(address, CONNECT_TIMEOUT_MILLIS);
            } catch (ConnectException | UnknownHostException e) {
                throw new InvalidInputException(uri + ": the S3 endpoint " + endpoint + " (" + key + ") "
                        + (e instanceof UnknownHostException ? "names an unknown host" : "refuses connections (" + e.getMessage() + ")")
                        + ": is the store running, and is the endpoint right?");
            } catch (IOException slowOrOther) {
                // A timeout or a route's error: S3A's own timeouts and messages take over.
            }
        }
    }

    /** S3A's key for {@code option}: the bucket's own ({@code fs.s3a.bucket.NAME.option}) when set, else the global one. */
    private static String setting(Configuration conf, String bucket, String option) {
        String own = "fs.s3a.bucket." + bucket + "." + option;
        return bucket != null && conf.get(own) != null ? own : "fs.s3a." + option;
    }

    /** Whether S3A or the JVM or the SDK's environment sends requests through a proxy, which alone may reach the store. */
    private static boolean behindProxy(Configuration conf, String bucket) {
        return !conf.getTrimmed(setting(conf, bucket, "proxy.host"), "").isEmpty()
                || System.getProperty("https.proxyHost") != null || System.getProperty("http.proxyHost") != null
                || System.getenv("HTTPS_PROXY") != null || System.getenv("https_proxy") != null
                || System.getenv("HTTP_PROXY") != null || System.getenv("http_proxy") != null;
    }

    /** Host and port of an endpoint given as {@code host}, {@code host:port} or a URL. */
    private static InetSocketAddress address(String endpoint, boolean sslByDefault) {
        URI url = URI.create(endpoint.contains("://") ? endpoint : (sslByDefault ? "https://" : "http://") + endpoint);
        if (url.getHost() == null) {
            throw new InvalidInputException("the S3 endpoint " + endpoint + " names no host");
        }
        int port = url.getPort() >= 0 ? url.getPort() : "http".equalsIgnoreCase(url.getScheme()) ? 80 : 443;
        return new InetSocketAddress(url.getHost(), port); // resolved here: an unknown host fails the connect
    }
}
