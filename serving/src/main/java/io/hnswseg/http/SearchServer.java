package io.hnswseg.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.reader.IndexReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves one open index over HTTP:
 * <ul>
 *   <li>{@code POST /search} with {@code {"vector": [...], "k": 10, "ef": 64}} answers
 *   {@code {"ids": [...], "distances": [...], "took_ms": ...}} ({@code k} defaults to 10, {@code ef} to
 *   {@code max(64, k)});</li>
 *   <li>{@code GET /health} answers {@code {"status": "ok"}};</li>
 *   <li>{@code GET /stats} answers what the index holds and how many queries were served.</li>
 * </ul>
 * A request the server cannot answer (malformed JSON, wrong dimension, NaN, k out of range, a body over
 * the size limit) gets 400 with {@code {"error": "..."}}; a wrong method 405, an unknown path 404.
 */
public final class SearchServer implements AutoCloseable {

    /** The largest k a request may ask for. */
    public static final int MAX_K = 1000;
    /** The largest ef a request may ask for. */
    public static final int MAX_EF = 10_000;
    private static final int MAX_BODY_BYTES = 8 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final IndexReader reader;
    private final HttpServer server;
    private final ExecutorService handlers;
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final long started = System.nanoTime();

    /**
     * Binds and starts serving. Port 0 picks a free port ({@link #port()}).
     *
     * @param threads request-handling threads
     */
    public SearchServer(IndexReader reader, String bind, int port, int threads) throws IOException {
        this.reader = reader;
        this.server = HttpServer.create(new InetSocketAddress(bind, port), 128);
        this.handlers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "hnswseg-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(handlers);
        server.createContext("/search", e -> handle(e, "POST", this::search));
        server.createContext("/health", e -> handle(e, "GET", body -> Map.of("status", "ok")));
        server.createContext("/stats", e -> handle(e, "GET", body -> stats()));
        server.createContext("/", e -> reply(e, 404, Map.of("error", "no such endpoint: " + e.getRequestURI().getPath()
                + " (try POST /search, GET /health, GET /stats)")));
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** A request the client got wrong: answered with 400 and the message. */
    private static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }

    @FunctionalInterface
    private interface Handler {
        Object answer(byte[] body) throws BadRequest;
    }

    private void handle(HttpExchange exchange, String method, Handler handler) throws IOException {
        try (exchange) {
            if (!exchange.getRequestURI().getPath().equals(exchange.getHttpContext().getPath())) {
                reply(exchange, 404, Map.of("error", "no such endpoint: " + exchange.getRequestURI().getPath()));
                return;
            }
            if (!method.equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().add("Allow", method);
                reply(exchange, 405, Map.of("error", exchange.getRequestMethod() + " is not allowed here, use " + method));
                return;
            }
            try {
                reply(exchange, 200, handler.answer(readBody(exchange.getRequestBody())));
            } catch (BadRequest e) {
                rejected.incrementAndGet();
                reply(exchange, 400, Map.of("error", e.getMessage()));
            } catch (RuntimeException e) {
                // Nothing the client sent should get here; say what happened instead of a bare 500 page.
                reply(exchange, 500, Map.of("error", "internal error: " + e));
            }
        }
    }

    private static byte[] readBody(InputStream in) throws IOException, BadRequest {
        byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
        if (body.length > MAX_BODY_BYTES) {
            throw new BadRequest("request body over " + MAX_BODY_BYTES + " bytes");
        }
        return body;
    }

    private Object search(byte[] body) throws BadRequest {
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BadRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadRequest("unreadable body: " + e.getMessage());
        }
        if (request == null || !request.isObject()) {
            throw new BadRequest("expected a JSON object like {\"vector\": [...], \"k\": 10, \"ef\": 64}");
        }
        JsonNode vector = request.get("vector");
        if (vector == null || !vector.isArray()) {
            throw new BadRequest("field 'vector' must be an array of numbers");
        }
        if (vector.size() != reader.dimension()) {
            throw new BadRequest("field 'vector' has dimension " + vector.size() + ", the index has " + reader.dimension());
        }
        float[] query = new float[vector.size()];
        for (int i = 0; i < query.length; i++) {
            JsonNode x = vector.get(i);
            if (!x.isNumber()) {
                throw new BadRequest("vector[" + i + "] is not a number: " + x);
            }
            query[i] = (float) x.doubleValue();
            if (!Float.isFinite(query[i])) {
                throw new BadRequest("vector[" + i + "] is not a finite float: " + x);
            }
        }
        int k = intField(request, "k", 10, 1, MAX_K);
        int ef = intField(request, "ef", Math.max(64, k), k, MAX_EF);
        long start = System.nanoTime();
        SearchResults results;
        try {
            results = reader.search(query, k, ef);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        served.incrementAndGet();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("ids", results.ids());
        answer.put("distances", results.distances());
        answer.put("took_ms", (System.nanoTime() - start) / 1e6);
        return answer;
    }

    private static int intField(JsonNode request, String name, int fallback, int min, int max) throws BadRequest {
        JsonNode node = request.get(name);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.canConvertToInt() || !node.isIntegralNumber()) {
            throw new BadRequest("field '" + name + "' must be an integer, got " + node);
        }
        int value = node.intValue();
        if (value < min || value > max) {
            throw new BadRequest("field '" + name + "' is " + value + ", must be in [" + min + ", " + max + "]");
        }
        return value;
    }

    private Map<String, Object> stats() {
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("index", reader.location());
        stats.put("segments", reader.segmentCount());
        stats.put("vectors", reader.size());
        stats.put("dimension", reader.dimension());
        stats.put("metric", reader.metric().externalName());
        stats.put("mapped_bytes", reader.mappedBytes());
        stats.put("queries_served", served.get());
        stats.put("requests_rejected", rejected.get());
        stats.put("uptime_seconds", (System.nanoTime() - started) / 1e9);
        return stats;
    }

    private static void reply(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }
}
