package io.hnswseg.cli;

import io.hnswseg.http.SearchServer;
import io.hnswseg.reader.IndexReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code hnswseg serve}: an HTTP JSON endpoint over an index, until SIGTERM or Ctrl-C, which stop it gracefully. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve an index over HTTP: POST /search {\"vector\": [...], \"k\": 10, \"ef\": 64, \"nprobe\": 2}, GET /health, GET /stats.",
                "Searches beyond --http-threads wait in a queue of --queue; beyond that they get 503 with Retry-After. "
                        + "SIGTERM or Ctrl-C stop gracefully: /health turns 503, the port closes, requests in flight finish."})
final class ServeCommand implements Callable<Integer> {

    /** Jetty's INFO lines repeat the startup line; its warnings still show. A field: JUL holds loggers weakly. */
    private static final Logger JETTY_LOG = Logger.getLogger("org.eclipse.jetty");

    @Mixin
    IndexOptions index;

    @Option(names = "--ef", description = "ef of a request that names none, raised to its k (default: the index's recommended ef, else 64)")
    Integer ef;

    @Option(names = "--nprobe", description = "nprobe of a request that names none; 0 = all segments (default: the index's recommended nprobe)")
    Integer nprobe;

    @Option(names = "--port", defaultValue = "8080", description = "port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE}, loopback only)")
    String bind;

    @Option(names = "--http-threads", defaultValue = "8", description = "searches that run at once (default: ${DEFAULT-VALUE})")
    int httpThreads;

    @Option(names = "--queue", defaultValue = "64",
            description = "searches that may wait for a thread; past that a search gets 503 with Retry-After (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--idle-timeout", defaultValue = "30s", converter = DurationConverter.class,
            description = "a connection silent this long is closed, a body that stops arriving gets 400: 30s, 500ms, 2m or milliseconds (default: ${DEFAULT-VALUE})")
    Duration idleTimeout;

    @Option(names = "--max-connections", defaultValue = "1024",
            description = "open connections; more clients wait to be accepted (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(names = "--no-read-lease",
            description = "hold no reader's lease in the index's directory (by default the server keeps one there, so that a vacuum"
                    + " keeps the files it answers from; without write access it warns and serves without one)")
    boolean noReadLease;

    @Option(names = "--shutdown-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "on SIGTERM, how long requests in flight may take to finish (default: ${DEFAULT-VALUE})")
    Duration shutdownTimeout;

    @Override
    public Integer call() throws Exception {
        // By flag: the limits' own checks name their Java fields (probe helper 72).
        atLeast("--http-threads", httpThreads, 1);
        atLeast("--queue", queue, 0);
        atLeast("--max-connections", maxConnections, 1);
        if (idleTimeout.isZero()) {
            throw new IllegalArgumentException("--idle-timeout must be above 0");
        }
        SearchServer.Limits limits = new SearchServer.Limits(httpThreads, queue, idleTimeout, maxConnections, shutdownTimeout);
        JETTY_LOG.setLevel(Level.WARNING);
        if (ef != null && (ef < 1 || ef > SearchServer.MAX_EF)) {
            // A request may ask for at most MAX_EF: a default wider than that would search wider than any request may.
            throw new IllegalArgumentException("--ef must be in 1.." + SearchServer.MAX_EF + " (the range of a request's ef), got " + ef);
        }
        if (bind.isBlank()) {
            // Java reads an empty host as loopback, and the startup line then named no host (probe helper 102).
            throw new IllegalArgumentException("--bind must name an address: 127.0.0.1 (loopback, the default), ::1, 0.0.0.0 or ::"
                    + " (every interface), or a host name");
        }
        if (port < 0 || port > 65_535) {
            // Before the index is opened: of a large S3 index, every segment was downloaded first (probe helper 102).
            throw new IllegalArgumentException("--port must be in 0..65535 (0: any free port), got " + port);
        }
        SearchServer.refuseUnlistenable(bind, port);
        IndexReader reader = index.open(index.index, index.readerOptions().withReadLease(!noReadLease));
        SearchServer server;
        try {
            // The server owns the reader from here, and the readers of the indexes that replace it.
            server = SearchServer.following(reader, bind, port, limits, ef, nprobe);
        } catch (RuntimeException | IOException e) {
            reader.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("stopping: finishing requests in flight (at most " + format(shutdownTimeout) + ")");
            server.close();
            stopped.countDown();
        }));
        System.err.printf("serving %s on %s (POST /search, GET /health, GET /stats): default ef %d, nprobe %s; "
                        + "%d searches at once, each fanned out to a shared pool of %d search thread%s besides its own, queue %d (then 503), idle timeout %s, at most %d connections, bodies up to %d MiB; "
                        + "follows the index (checked every %d s, a build that replaces it is opened and served); SIGTERM or Ctrl-C stops gracefully%n",
                reader.location(), where(bind, server.port()), server.defaults().ef(),
                server.defaults().nprobe() == 0 ? "all" : String.valueOf(server.defaults().nprobe()), httpThreads,
                reader.searchThreads() - 1, reader.searchThreads() == 2 ? "" : "s", queue, format(idleTimeout), maxConnections,
                SearchServer.MAX_BODY_BYTES >> 20, SearchServer.INDEX_CHECK_EVERY.toSeconds());
        stopped.await();
        return 0;
    }

    /**
     * The address clients connect to, as a URL they can use: an IPv6 literal in brackets ({@code http://::1:8080}
     * was refused by curl, Node and Python: probe helper 102), and for a wildcard the loopback URL and that every
     * interface listens.
     */
    static String where(String bind, int port) {
        String host = bind.startsWith("[") && bind.endsWith("]") ? bind.substring(1, bind.length() - 1) : bind;
        boolean literal = host.contains(":") || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
        boolean any;
        try {
            // Only for a literal (no lookup): ::0, 0::, 0 are the wildcard too (review helper 104).
            any = literal && java.net.InetAddress.getByName(host).isAnyLocalAddress();
        } catch (java.net.UnknownHostException e) {
            any = false;
        }
        if (any) {
            return "every interface, port " + port + " (this host: http://" + (host.contains(":") ? "[::1]" : "127.0.0.1") + ":"
                    + port + ")";
        }
        // A zone id's "%" is "%25" in a URL (RFC 6874).
        return "http://" + (host.contains(":") ? "[" + host.replace("%", "%25") + "]" : host) + ":" + port;
    }

    private static void atLeast(String flag, int value, int least) {
        if (value < least) {
            throw new IllegalArgumentException(flag + " must be at least " + least + ", got " + value);
        }
    }

    private static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** {@code 30s}, {@code 500ms}, {@code 2m}, or a bare number of milliseconds. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(ms|s|m)?");

        @Override
        public Duration convert(String value) {
            Matcher m = FORM.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration like 30s, 500ms, 2m or 1500");
            }
            String unit = m.group(2) == null ? "ms" : m.group(2);
            try {
                long n = Long.parseLong(m.group(1));
                Duration d = switch (unit) {
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofMillis(n);
                };
                d.toMillis(); // what the server takes: a longer one overflows there
                return d;
            } catch (NumberFormatException | ArithmeticException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is too long a duration");
            }
        }
    }
}
