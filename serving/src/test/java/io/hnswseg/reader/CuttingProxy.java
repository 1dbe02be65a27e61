package io.hnswseg.reader;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy in front of a store that sends the first {@code cuts} responses to requests whose first line holds
 * {@code marker} with their full Content-Length but only half of the body, then closes: a body cut short by a clean
 * close, which the SDK's client takes as complete (probe helper 94). One request per connection.
 */
final class CuttingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final URI upstream;
    private final String marker;
    private final AtomicInteger cuts;
    final AtomicInteger cut = new AtomicInteger();

    CuttingProxy(String upstreamEndpoint, String marker, int cuts) throws IOException {
        this.upstream = URI.create(upstreamEndpoint);
        this.marker = marker;
        this.cuts = new AtomicInteger(cuts);
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::serve, "cutting-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void serve() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread t = new Thread(() -> relay(client), "cutting-proxy-relay");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void relay(Socket client) {
        try (client; Socket store = new Socket(upstream.getHost(), upstream.getPort())) {
            InputStream in = client.getInputStream();
            String head = readHead(in);
            boolean cutThis = head.lines().findFirst().orElse("").contains(marker) && cuts.getAndDecrement() > 0;
            int length = 0;
            StringBuilder forwarded = new StringBuilder();
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("connection:")) {
                    continue;
                }
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
                }
                forwarded.append(line).append("\r\n");
            }
            forwarded.append("Connection: close\r\n\r\n");
            OutputStream up = store.getOutputStream();
            up.write(forwarded.toString().getBytes(StandardCharsets.ISO_8859_1));
            up.write(in.readNBytes(length));
            up.flush();
            byte[] response = store.getInputStream().readAllBytes();
            int bodyStart = indexOf(response, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)) + 4;
            int end = cutThis ? bodyStart + (response.length - bodyStart) / 2 : response.length;
            if (cutThis) {
                cut.incrementAndGet();
            }
            client.getOutputStream().write(response, 0, end);
            client.getOutputStream().flush();
        } catch (IOException e) {
            // The client went away: nothing to relay.
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        for (int b; matched < 4 && (b = in.read()) >= 0; ) {
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, Math.max(0, text.length() - 4));
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= bytes.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (bytes[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
