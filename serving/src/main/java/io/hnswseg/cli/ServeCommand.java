package io.hnswseg.cli;

import io.hnswseg.http.SearchServer;
import io.hnswseg.reader.IndexReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code hnswseg serve}: an HTTP JSON endpoint over an index, until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve an index over HTTP: POST /search {\"vector\": [...], \"k\": 10, \"ef\": 64}, GET /health, GET /stats.")
final class ServeCommand implements Callable<Integer> {

    @Mixin
    IndexOptions index;

    @Option(names = "--port", defaultValue = "8080", description = "port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE}, loopback only)")
    String bind;

    @Option(names = "--http-threads", defaultValue = "8", description = "request threads (default: ${DEFAULT-VALUE})")
    int httpThreads;

    @Override
    public Integer call() throws Exception {
        IndexReader reader = index.open();
        SearchServer server = new SearchServer(reader, bind, port, httpThreads);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            reader.close();
            stopped.countDown();
        }));
        System.err.printf("serving %s on http://%s:%d (POST /search, GET /health, GET /stats); Ctrl-C stops%n",
                reader.location(), bind, server.port());
        stopped.await();
        return 0;
    }
}
