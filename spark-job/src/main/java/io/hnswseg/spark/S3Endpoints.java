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
            String bucket = URI.create(uri.replace(" ", "%20")).getHost();
            String key = bucket != null && conf.getTrimmed("fs.s3a.bucket." + bucket + ".endpoint", "").length() > 0
                    ? "fs.s3a.bucket." + bucket + ".endpoint" : "fs.s3a.endpoint";
            String endpoint = conf.getTrimmed(key, "");
            if (endpoint.isEmpty() || !conf.getTrimmed("fs.s3a.proxy.host", "").isEmpty()) {
                continue;
            }
            InetSocketAddress address = address(endpoint, conf.getBoolean("fs.s3a.connection.ssl.enabled", true));
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
