package io.hnswseg.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hnswseg.concurrent.DaemonThreads;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.reader.IndexReader;
import io.hnswseg.reader.SegmentUnavailableException;
import io.hnswseg.segment.CorruptSegmentException;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.Graceful;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Serves one open index over HTTP/1.1 (Jetty's core server, no servlets):
 * <ul>
 *   <li>{@code POST /search} with {@code {"vector": [...], "k": 10, "ef": 64, "nprobe": 2}} answers
 *   {@code {"ids": [...], "distances": [...], "took_ms": ...}} ({@code k} defaults to 10, {@code ef} and
 *   {@code nprobe} to the server's {@link Defaults}; {@code "ids_as_strings": true} answers the ids as strings);</li>
 *   <li>{@code GET /health} answers 200 {@code {"status": "ok"}}, or 503 with {@code {"status": "failing",
 *   "failed_segments": {...}}} when a segment failed a search, or {@code {"status": "stopping"}} during
 *   shutdown; 200 with {@code {"status": "degraded", "unavailable_segments": {...}}} while a lazy reader's
 *   only problem is segments it could not download just now; 200 with {@code {"status": "stale", "index": "..."}}
 *   once a build has replaced the index at its location (checked every {@link #INDEX_CHECK_EVERY}) and the
 *   server still answers from the index it opened: a {@linkplain #following following} server whose new index
 *   could not be opened, or one given a reader of the caller's, which is to be restarted; likewise once the index
 *   at its location is removed or its manifest damaged;</li>
 *   <li>{@code GET /stats} answers what the index holds and how many requests were served, refused and failed.</li>
 * </ul>
 * A request the server cannot answer (malformed JSON, wrong dimension, NaN, k out of range, a body over
 * {@link #MAX_BODY_BYTES}, a body that breaks HTTP framing) gets 400 with {@code {"error": "..."}}; a wrong
 * method 405 with {@code Allow}, an unknown path 404. A search that reaches a corrupt segment (or, with lazy
 * segments, one missing or not the manifest's) gets 500 naming it; one whose segment a lazy reader could not
 * download just now gets 503 with {@code Retry-After} (the next search downloads it again).
 *
 * <p>Everything is bounded ({@link Limits}): connections wait on no thread (a connection that sends
 * nothing for the idle timeout is closed, and a body that stops arriving is answered 400); searches run on
 * {@link Limits#threads()} threads behind a queue of {@link Limits#queue()}, and a search that finds the
 * queue full is answered 503 with {@code Retry-After} at once. {@link #close()} is graceful: it stops
 * accepting connections and lets requests in flight finish.
 */
public final class SearchServer implements AutoCloseable {

    /** The largest k a request may ask for. */
    public static final int MAX_K = 1000;
    /** The largest ef a request may ask for: the widest a manifest may recommend, so every default can be served. */
    public static final int MAX_EF = IndexManifest.MAX_RECOMMENDED_EF;
    /** The largest request body accepted (8 MiB). */
    public static final int MAX_BODY_BYTES = 8 << 20;
    /** What a 503 for a full queue asks the client to wait, in seconds. */
    static final int RETRY_AFTER_SECONDS = 1;
    /**
     * Jetty's own threads accept, parse and write: no handler blocks one (bodies are read asynchronously,
     * searches run on their own pool), so a few are enough whatever the load.
     */
    private static final int IO_THREADS = 12;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The bounds of a server.
     *
     * @param threads        searches that run at once
     * @param queue          searches that may wait for a thread; one more is answered 503 with Retry-After
     * @param idleTimeout    how long a connection may send nothing (between requests, or in the middle of
     *                       one) before it is closed, or its unfinished body answered 400
     * @param maxConnections open connections; further clients wait in the listen backlog until one closes
     * @param stopTimeout    how long {@link #close()} waits for requests in flight
     */
    public record Limits(int threads, int queue, Duration idleTimeout, int maxConnections, Duration stopTimeout) {

        public Limits {
            if (threads < 1 || queue < 0 || maxConnections < 1) {
                throw new IllegalArgumentException("need threads >= 1, queue >= 0 and maxConnections >= 1, got threads="
                        + threads + " queue=" + queue + " maxConnections=" + maxConnections);
            }
            if (idleTimeout.isNegative() || idleTimeout.isZero() || stopTimeout.isNegative()) {
                throw new IllegalArgumentException("need idleTimeout > 0 and stopTimeout >= 0, got " + idleTimeout
                        + " and " + stopTimeout);
            }
        }

        /** 8 threads, a queue of 64, 30 s idle timeout, 1024 connections, 10 s to stop. */
        public static Limits defaults() {
            return new Limits(8, 64, Duration.ofSeconds(30), 1024, Duration.ofSeconds(10));
        }

        /** These limits with another number of search threads. */
        public Limits withThreads(int threads) {
            return new Limits(threads, queue, idleTimeout, maxConnections, stopTimeout);
        }
    }

    /**
     * What a request that leaves out ef or nprobe gets.
     *
     * @param ef     search beam (raised to the request's k)
     * @param nprobe segments visited per query on a k-means index, 0 = all
     */
    public record Defaults(int ef, int nprobe) {

        /** The index's recommendation: the cheapest measured point reaching its target recall, else ef 64 over all segments. */
        public static Defaults of(IndexReader reader) {
            return new Defaults(reader.defaultEf(), reader.defaultNprobe());
        }
    }

    private final ServedIndex index;
    /** Reads the manifest at the index's location every {@link #INDEX_CHECK_EVERY}, and follows or reports a replacement. */
    private final IndexFollower follower;
    private final Limits limits;
    private final Server server;
    private final ServerConnector connector;
    private final ThreadPoolExecutor searches;
    private final Endpoints endpoints = new Endpoints();
    private final LongAdder served = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder busy = new LongAdder();
    /** Searches answered 500 or 503 for the index's or the store's failure (not for the client's, nor for busy). */
    private final LongAdder failed = new LongAdder();
    private final long started = System.nanoTime();
    /** Asks every {@link #INDEX_CHECK_EVERY} whether the index at the reader's location was replaced. */
    private final ScheduledExecutorService indexCheck;
    /** Test hook: runs in the search thread before each search; null in use. */
    volatile Runnable searchHook;

    /** Binds and starts serving with {@link Limits#defaults()} but {@code threads} search threads. */
    public SearchServer(IndexReader reader, String bind, int port, int threads) throws IOException {
        this(reader, bind, port, Limits.defaults().withThreads(threads));
    }

    /** Binds and starts serving with the index's recommended ef and nprobe. Port 0 picks a free port ({@link #port()}). */
    public SearchServer(IndexReader reader, String bind, int port, Limits limits) throws IOException {
        this(reader, bind, port, limits, Defaults.of(reader));
    }

    /**
     * Binds and starts serving {@code reader}, which stays the caller's: once a build replaces the index at its
     * location, /health says the server is stale. Port 0 picks a free port ({@link #port()}).
     */
    public SearchServer(IndexReader reader, String bind, int port, Limits limits, Defaults defaults) throws IOException {
        this(ServedIndex.fixed(reader, defaults), false, bind, port, limits);
    }

    /**
     * Binds and starts serving {@code reader}, and follows the index at its location: when a build has
     * replaced it (checked every {@link #INDEX_CHECK_EVERY}), the server opens the new index and answers from
     * it; searches already running finish on the old one, which is then closed. The server owns every reader
     * it serves, {@code reader} included: {@link #close} closes them.
     *
     * @param ef     ef of a request that names none; null: the served index's recommendation
     * @param nprobe nprobe of a request that names none; null: the served index's recommendation
     * @throws IllegalArgumentException when {@code nprobe} does not suit the index
     */
    public static SearchServer following(IndexReader reader, String bind, int port, Limits limits, Integer ef, Integer nprobe)
            throws IOException {
        return new SearchServer(ServedIndex.owned(reader, ef, nprobe), true, bind, port, limits);
    }

    private SearchServer(ServedIndex index, boolean follows, String bind, int port, Limits limits) throws IOException {
        this.index = index;
        this.follower = new IndexFollower(index, follows);
        this.limits = limits;
        BlockingQueue<Runnable> queue = limits.queue() == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(limits.queue());
        this.searches = new ThreadPoolExecutor(limits.threads(), limits.threads(), 0, TimeUnit.SECONDS, queue,
                DaemonThreads.named("hnswseg-search-http"));

        QueuedThreadPool ioThreads = new QueuedThreadPool(IO_THREADS, 2);
        ioThreads.setName("hnswseg-http");
        ioThreads.setDaemon(true);
        server = new Server(ioThreads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // "//search", what a base URL ending in "/" plus "/search" makes, reaches the routes (as /search) rather than
        // Jetty's 400 "Ambiguous URI empty segment" (probe helper 102).
        http.setUriCompliance(UriCompliance.DEFAULT.with("hnswseg", UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT));
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(bind);
        connector.setPort(port);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        server.setErrorHandler(new JsonErrors());
        server.setHandler(endpoints);
        server.setStopTimeout(limits.stopTimeout().toMillis());
        indexCheck = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("hnswseg-index-check"));
        try {
            server.start();
            long every = INDEX_CHECK_EVERY.toMillis();
            indexCheck.scheduleWithFixedDelay(this::checkIndex, every, every, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            indexCheck.shutdownNow();
            searches.shutdownNow();
            stopQuietly();
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.net.BindException) {
                    // Jetty says only "Failed to bind to /host:port"; the cause says why.
                    throw cannotListen(bind, port, t.getMessage(), e);
                }
            }
            throw e instanceof IOException ioe ? ioe : new IOException("cannot serve on " + bind + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fails now when a server could not listen at {@code bind}:{@code port} (an address of another host, a port in use or
     * privileged): {@code serve} asks before it opens its index, which for an S3 index downloads every segment (review
     * helper 104).
     */
    public static void refuseUnlistenable(String bind, int port) throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
            socket.bind(new java.net.InetSocketAddress(bind, port));
        } catch (IOException e) {
            throw cannotListen(bind, port, e.getMessage(), e);
        }
    }

    private static IOException cannotListen(String bind, int port, String why, Exception cause) {
        return new IOException("cannot listen on " + bind + ":" + port + ": " + why
                + " (the port may be in use or privileged, or --bind not an address of this host)", cause);
    }

    /** How often the server reads its index's manifest again to find out whether a build replaced it. */
    public static final java.time.Duration INDEX_CHECK_EVERY = java.time.Duration.ofSeconds(30);

    /** Reads the index's manifest again, and follows or reports a replacement ({@link IndexFollower#check}). */
    void checkIndex() {
        follower.check();
    }


    /** What a request that leaves out ef or nprobe gets. */
    public Defaults defaults() {
        return index.defaults();
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** The routes; counts requests in flight so that a graceful stop can wait for them. */
    private final class Endpoints extends Handler.Abstract implements Graceful {

        private final LongAdder inFlight = new LongAdder();
        private final Graceful.Shutdown shutdown = new Graceful.Shutdown(this) {
            @Override
            public boolean isShutdownDone() {
                return inFlight.sum() == 0;
            }
        };

        Endpoints() {
            // No route blocks its thread: bodies are read asynchronously and searches run on their own pool.
            super(InvocationType.NON_BLOCKING);
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            // Counted before the shutdown test, so that a stop waits for every request that got past it.
            Callback tracked = new Tracked(callback);
            try {
                route(request, response, tracked);
            } catch (RuntimeException e) {
                // Nothing a client sends should get here; say what happened instead of a bare 500 page.
                reply(response, tracked, 500, error("internal error: " + e));
            }
            return true;
        }

        private void route(Request request, Response response, Callback callback) {
            String sent = request.getHttpURI().getPath();
            String path = sent.replaceAll("/{2,}", "/");
            if (isShutdown()) {
                response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
                reply(response, callback, 503, path.equals("/health") ? Map.of("status", "stopping")
                        : error("the server is shutting down"));
                return;
            }
            switch (path) {
                case "/search" -> {
                    if (allowed("POST", request, response, callback) && plainBody(request, response, callback)) {
                        search(request, response, callback);
                    }
                }
                case "/health" -> {
                    if (allowed("GET", request, response, callback)) {
                        health(response, callback);
                    }
                }
                case "/stats" -> {
                    if (allowed("GET", request, response, callback)) {
                        reply(response, callback, 200, stats());
                    }
                }
                default -> reply(response, callback, 404, error("no such endpoint: " + sent
                        + " (try POST /search, GET /health, GET /stats)"));
            }
        }

        @Override
        public CompletableFuture<Void> shutdown() {
            return shutdown.shutdown();
        }

        @Override
        public boolean isShutdown() {
            return shutdown.isShutdown();
        }

        /** The request's callback, counted in {@link #inFlight} until it completes. */
        private final class Tracked extends Callback.Nested {
            Tracked(Callback callback) {
                super(callback);
                inFlight.increment();
            }

            @Override
            public void succeeded() {
                try {
                    super.succeeded();
                } finally {
                    done();
                }
            }

            @Override
            public void failed(Throwable x) {
                try {
                    super.failed(x);
                } finally {
                    done();
                }
            }

            private void done() {
                inFlight.decrement();
                if (shutdown.isShutdown()) {
                    shutdown.check();
                }
            }
        }
    }

    /**
     * Whether the request uses {@code method}, else answered 405. HEAD goes where GET does (HTTP asks it of every GET
     * resource, and uptime checkers probe with it: they saw a healthy server as down, probe helper 102); Jetty sends
     * the answer's headers without its body.
     */
    private static boolean allowed(String method, Request request, Response response, Callback callback) {
        boolean get = method.equals("GET");
        if (method.equals(request.getMethod()) || get && "HEAD".equals(request.getMethod())) {
            return true;
        }
        response.getHeaders().put(HttpHeader.ALLOW, get ? "GET, HEAD" : method);
        reply(response, callback, 405, error(request.getMethod() + " is not allowed here, use " + method));
        return false;
    }

    /**
     * Whether a search request says everything in its JSON body, uncompressed, else answered: a query string was
     * ignored (a client that asked for {@code ?ids_as_strings=true} got numbers, which JavaScript rounds), and a gzip
     * body was "malformed JSON ... CTRL-CHAR, code 31" (probe helper 102).
     */
    private static boolean plainBody(Request request, Response response, Callback callback) {
        String query = request.getHttpURI().getQuery();
        if (query != null && !query.isEmpty()) {
            reply(response, callback, 400, error("a search reads no query parameters (got ?" + query + "): put vector, k, ef,"
                    + " nprobe and ids_as_strings in the JSON body"));
            return false;
        }
        // Every coding named, in every field: "identity" first and "gzip" in a second field passed (review helper 104).
        for (String coding : request.getHeaders().getCSV(HttpHeader.CONTENT_ENCODING, false)) {
            if (!coding.isBlank() && !coding.strip().equalsIgnoreCase("identity")) {
                response.getHeaders().put(HttpHeader.ACCEPT_ENCODING, "identity");
                reply(response, callback, 415, error("Content-Encoding " + coding.strip() + " is not supported: send the JSON body"
                        + " uncompressed"));
                return false;
            }
        }
        return true;
    }

    private void health(Response response, Callback callback) {
        ServedIndex.Generation g = index.acquire();
        if (g == null) {
            reply(response, callback, 503, Map.of("status", "stopping"));
            return;
        }
        IndexReader.Health health;
        try {
            health = g.reader.health();
        } finally {
            g.release();
        }
        String stale = follower.replaced();
        if (health.ok() && health.unavailableSegments().isEmpty()) {
            reply(response, callback, 200, stale == null ? Map.of("status", "ok") : Map.of("status", "stale", "index", stale));
            return;
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        // Degraded, not failing, while only downloads failed: taken out of rotation, a server would never get
        // the search that fetches the segment again.
        answer.put("status", health.ok() ? "degraded" : "failing");
        if (!health.ok()) {
            answer.put("failed_segments", health.failedSegments());
        }
        if (!health.unavailableSegments().isEmpty()) {
            answer.put("unavailable_segments", health.unavailableSegments());
        }
        if (stale != null) {
            answer.put("index", stale);
        }
        reply(response, callback, health.ok() ? 200 : 503, answer);
    }

    /** Reads the body without holding a thread, then queues the search or answers 503 when the queue is full. */
    private void search(Request request, Response response, Callback callback) {
        long length = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (length > MAX_BODY_BYTES) {
            badBody(response, callback, "request body over " + MAX_BODY_BYTES + " bytes (Content-Length " + length + ")");
            return;
        }
        new BodyReader(request, response, callback, length).run();
    }

    /**
     * Gathers a request body as it arrives, in whatever thread Jetty has when bytes come in: no thread waits
     * for a slow client. Written here rather than with Jetty's whole-body helpers, which still act on the
     * request after reporting a failure, when this server has already answered it and Jetty recycled it.
     */
    private final class BodyReader implements Invocable.Task {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final long length;
        private byte[] body;
        private int size;

        BodyReader(Request request, Response response, Callback callback, long length) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.length = length;
            // Grown as bytes arrive: a Content-Length alone, with nothing behind it, must not cost 8 MiB.
            this.body = new byte[(int) Math.min(length >= 0 ? length : 1024, 64 << 10)];
        }

        @Override
        public void run() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    unreadableBody(request, response, callback, length, chunk.getFailure());
                    return;
                }
                ByteBuffer bytes = chunk.getByteBuffer();
                boolean fits = size + bytes.remaining() <= MAX_BODY_BYTES;
                if (fits) {
                    if (size + bytes.remaining() > body.length) {
                        body = Arrays.copyOf(body, Math.min(MAX_BODY_BYTES, Math.max(2 * body.length, size + bytes.remaining())));
                    }
                    int n = bytes.remaining();
                    bytes.get(body, size, n);
                    size += n;
                }
                boolean last = chunk.isLast();
                chunk.release();
                if (!fits) {
                    // A chunked body announces no length: it is cut off once past the limit.
                    badBody(response, callback, "request body over " + MAX_BODY_BYTES + " bytes");
                    return;
                }
                if (last) {
                    queue(size == body.length ? body : Arrays.copyOf(body, size), response, callback);
                    return;
                }
            }
        }

        @Override
        public InvocationType getInvocationType() {
            // Appending bytes and queueing the search never block.
            return InvocationType.NON_BLOCKING;
        }
    }

    private void queue(byte[] body, Response response, Callback callback) {
        try {
            searches.execute(() -> answer(body, response, callback));
        } catch (RejectedExecutionException e) {
            busy.increment();
            response.getHeaders().put(HttpHeader.RETRY_AFTER, RETRY_AFTER_SECONDS);
            reply(response, callback, 503, error("busy: " + limits.threads() + " searches running and "
                    + limits.queue() + " queued; retry after " + RETRY_AFTER_SECONDS + " s"));
        }
    }

    private void answer(byte[] body, Response response, Callback callback) {
        ServedIndex.Generation g = index.acquire();
        if (g == null) {
            reply(response, callback, 503, error("stopping"));
            return;
        }
        try {
            Runnable hook = searchHook;
            if (hook != null) {
                hook.run();
            }
            SearchRequest query = SearchRequest.parse(body, g.reader.dimension(), g.defaults);
            long start = System.nanoTime();
            SearchResults results;
            try {
                results = g.reader.search(query.vector(), query.k(), query.ef(), query.nprobe());
            } catch (IllegalArgumentException e) {
                throw new SearchRequest.BadRequest(e.getMessage());
            }
            served.increment();
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("ids", query.idsAsStrings() ? Arrays.stream(results.ids()).mapToObj(Long::toString).toArray(String[]::new)
                    : results.ids());
            answer.put("distances", results.distances());
            answer.put("took_ms", (System.nanoTime() - start) / 1e6);
            reply(response, callback, 200, answer);
        } catch (SearchRequest.BadRequest e) {
            rejected.increment();
            reply(response, callback, 400, error(e.getMessage()));
        } catch (SegmentUnavailableException e) {
            // The object store failed the segment's download; a later search fetches it again.
            failed.increment();
            response.getHeaders().put(HttpHeader.RETRY_AFTER, RETRY_AFTER_SECONDS);
            reply(response, callback, 503, error(e.getMessage()));
        } catch (CorruptSegmentException | java.io.UncheckedIOException e) {
            // The index's fault, not the client's (a corrupt segment, or one a lazy reader found missing or
            // not the manifest's); /health reports the segment from now on.
            failed.increment();
            reply(response, callback, 500, error(e.getMessage()));
        } catch (RuntimeException e) {
            failed.increment();
            reply(response, callback, 500, error("internal error: " + e));
        } catch (Error e) {
            // Answered like any failure: unanswered, the request waited for the idle timeout (review helper 60). The JVM's
            // own failures (out of memory) go on up once the client has its answer.
            failed.increment();
            reply(response, callback, 500, error("internal error: " + e));
            if (e instanceof VirtualMachineError) {
                throw e;
            }
        } finally {
            g.release();
        }
    }

    /** A body that could not be read whole: badly framed, or stopped arriving. */
    private void unreadableBody(Request request, Response response, Callback callback, long length, Throwable failure) {
        long got = Request.getContentBytesRead(request);
        if (failure instanceof TimeoutException) {
            badBody(response, callback, "request body incomplete: " + got + (length >= 0 ? " of " + length : "")
                    + " bytes arrived, then nothing for the idle timeout of " + limits.idleTimeout().toMillis() + " ms");
        } else if (failure instanceof HttpException) {
            // Jetty's parser reports a bad chunk as an early end of the body, so say both.
            String framing = request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING) ? "chunked body" : "request body";
            badBody(response, callback, "the " + framing + " is malformed or ended early (" + failure.getMessage() + ")");
        } else if (failure instanceof IOException) {
            // The client went away: nobody to answer.
            callback.failed(failure);
        } else {
            badBody(response, callback, "unreadable request body: " + failure);
        }
    }

    /** 400 and close: after a framing problem the rest of the connection's bytes cannot be trusted. */
    private void badBody(Response response, Callback callback, String message) {
        rejected.increment();
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        reply(response, callback, 400, error(message));
    }

    private Map<String, Object> stats() {
        ServedIndex.Generation g = index.acquire();
        if (g == null) {
            return Map.of("status", "stopping");
        }
        try {
            IndexReader reader = g.reader;
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("index", reader.location());
            stats.put("index_replaced", follower.replaced() != null);
            stats.put("index_reloads", follower.reloads());
            stats.put("segments", reader.segmentCount());
            stats.put("vectors", reader.size());
            stats.put("dimension", reader.dimension());
            stats.put("metric", reader.metric().externalName());
            stats.put("mapped_bytes", reader.mappedBytes());
            stats.put("queries_served", served.sum());
            stats.put("requests_rejected", rejected.sum());
            stats.put("requests_busy", busy.sum());
            stats.put("searches_failed", failed.sum());
            stats.put("searches_running", searches.getActiveCount());
            stats.put("searches_queued", searches.getQueue().size());
            stats.put("uptime_seconds", (System.nanoTime() - started) / 1e9);
            return stats;
        } finally {
            g.release();
        }
    }

    private static Map<String, Object> error(String message) {
        return Map.of("error", message);
    }

    private static byte[] json(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + body + " as JSON", e);
        }
    }

    private static void reply(Response response, Callback callback, int status, Object body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(json(body)), callback);
    }

    /** Jetty's own error answers (bad request line or headers, bad framing it finds first) as {"error": ...}. */
    private static final class JsonErrors extends ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) {
            reply(response, callback, code, error(describe(code, message)));
        }

        private static String describe(int code, String message) {
            return message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
        }
    }

    /**
     * Stops gracefully: {@code /health} turns 503, the port closes (new connections are refused), requests in
     * flight get up to {@link Limits#stopTimeout()} to finish, requests arriving on open connections get 503;
     * then every connection is closed. A reader given to the constructor stays open (it is the caller's); a
     * {@linkplain #following following} server's readers close once their last search ends.
     */
    @Override
    public void close() {
        stopQuietly();
        indexCheck.shutdownNow();
        searches.shutdownNow();
        index.close();
    }

    private void stopQuietly() {
        try {
            server.stop();
        } catch (Exception e) {
            // Stopping still closes every connection; an error here only means something was cut short.
            System.getLogger(SearchServer.class.getName()).log(System.Logger.Level.WARNING, "stopping the HTTP server: " + e, e);
        }
    }
}
