package io.hnswseg.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hnswseg.eval.Latencies;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsReader;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The load behind the figures of {@code docs/reliability.md}, run by hand against a running
 * {@code hnswseg serve} on this machine (loopback only):
 * <pre>
 * LoadGenerator HOST:PORT QUERIES.fvecs REQUESTS CLIENTS [SLOW_CONNECTIONS [WARMUP]]
 * </pre>
 * {@code CLIENTS} threads send {@code POST /search} (k 10, ef 64, the queries in turn) back to back until
 * {@code REQUESTS} have been answered, after {@code WARMUP} (default 1,000) untimed ones; then it prints
 * the latency percentiles, the throughput and the count of each status. With {@code SLOW_CONNECTIONS},
 * that many connections are opened first and left hanging for the whole run, half in their headers and
 * half in their body, and the end says how many the server still holds open.
 */
public final class LoadGenerator {

    private LoadGenerator() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        FloatMatrix queries = VecsReader.readFloats(Path.of(args[1]), Integer.MAX_VALUE);
        int requests = Integer.parseInt(args[2]);
        int clients = Integer.parseInt(args[3]);
        int slowCount = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        int warmup = args.length > 5 ? Integer.parseInt(args[5]) : 1_000;

        ObjectMapper json = new ObjectMapper();
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < queries.rows(); i++) {
            bodies.add(json.writeValueAsBytes(Map.of("vector", queries.row(i), "k", 10, "ef", 64)));
        }
        URI search = URI.create("http://" + host + "/search");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        run(http, search, bodies, warmup, clients, new long[warmup], new ConcurrentHashMap<>());

        String[] hostPort = host.split(":");
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < slowCount; i++) {
            Socket s = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
            String head = "POST /search HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n";
            s.getOutputStream().write((i % 2 == 0 ? head : head + "\r\n{\"vector\": [0.5, ").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            slow.add(s);
        }

        long[] nanos = new long[requests];
        Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        run(http, search, bodies, requests, clients, nanos, statuses);
        double seconds = (System.nanoTime() - start) / 1e9;

        Latencies latencies = new Latencies(requests);
        for (long n : nanos) {
            latencies.record(n);
        }
        System.out.printf("%d requests, %d clients, %d slow connections: %.0f requests/s; latency ms mean %.2f p50 %.2f "
                        + "p90 %.2f p99 %.2f p99.9 %.2f max %.2f; statuses %s%n",
                requests, clients, slowCount, requests / seconds, latencies.meanMillis(), latencies.percentileMillis(50),
                latencies.percentileMillis(90), latencies.percentileMillis(99), latencies.percentileMillis(99.9),
                latencies.percentileMillis(100), new TreeMap<>(statuses));
        if (slowCount > 0) {
            int open = 0;
            for (Socket s : slow) {
                open += stillOpen(s) ? 1 : 0;
                s.close();
            }
            System.out.printf("slow connections still open at the end: %d of %d%n", open, slowCount);
        }
    }

    /** {@code count} requests from {@code clients} threads; the latency of request i lands in {@code nanos[i]}. */
    private static void run(HttpClient http, URI search, List<byte[]> bodies, int count, int clients, long[] nanos,
                            Map<Integer, LongAdder> statuses) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    HttpRequest request = HttpRequest.newBuilder(search).timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i % bodies.size()))).build();
                    long t0 = System.nanoTime();
                    int status;
                    try {
                        status = http.send(request, HttpResponse.BodyHandlers.ofByteArray()).statusCode();
                    } catch (IOException e) {
                        status = -1;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    nanos[i] = System.nanoTime() - t0;
                    statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
                }
            }, "load-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    /** Whether the server still holds the connection: nothing to read yet, rather than an answer or EOF. */
    private static boolean stillOpen(Socket s) throws IOException {
        s.setSoTimeout(1); // short: checking hundreds one after the other must not outlast the idle timeout
        InputStream in = s.getInputStream();
        try {
            in.read(); // an answer or EOF: the server has let go
            return false;
        } catch (SocketTimeoutException waiting) {
            return true;
        } catch (IOException reset) {
            return false;
        }
    }
}
