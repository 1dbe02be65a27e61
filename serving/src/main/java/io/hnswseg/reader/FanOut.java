package io.hnswseg.reader;

import io.hnswseg.concurrent.SharedWork;
import io.hnswseg.concurrent.SpinningPool;
import io.hnswseg.hnsw.SearchResults;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Spreads segment searches over the calling thread and a bounded pool, and merges their top-k: one query's
 * probed segments, or a batch's searches grouped by segment. It knows neither routing nor how a segment is
 * opened: it is given the segments to search (with their beams) and a function that searches one.
 */
final class FanOut implements AutoCloseable {

    /** Searches segment {@code segment} with beam {@code ef}, skipping what cannot come closer than {@code cutoff}. */
    interface SegmentSearch {
        SearchResults search(int segment, float[] query, int k, int ef, float cutoff);
    }

    /**
     * Below this much work per query, its segments are searched in the calling thread: handing a segment to
     * a parked pool thread costs a wake-up (tens of microseconds here; none while it still spins after its
     * last task), and splitting a query pays only when its work is several of those.
     */
    static final long PARALLEL_MIN_NANOS = 100_000;
    /**
     * Partial results (ids) {@link #batch} holds per step: 65,536 segment searches of k = 10, a few MB. Counted in
     * ids, not searches: at k = 10,000 a step of 65,536 searches held 8 GB (probe helper 40: a search-job of k =
     * 10,000 ran out of a 1 GB heap).
     */
    static final int RESULTS_PER_CHUNK = 10 << 16;

    /** The {@code threads - 1} helpers; see {@link SpinningPool} for why they spin before they park. */
    final SpinningPool pool;
    private final int threads;
    /**
     * Moving average of a query's segment searches added up (its work, whichever threads did it). Written
     * racily by concurrent searches: it only steers the choice between parallel and sequential fan-out, and
     * any recent value does for that.
     */
    private volatile long queryWorkNanos = PARALLEL_MIN_NANOS;
    /** Queries inside {@link #query} now: when they already fill the pool, fan-out only queues. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** {@link #PARALLEL_MIN_NANOS}, lowered by tests to exercise the parallel path on small segments. */
    long parallelMinNanos = PARALLEL_MIN_NANOS;
    /** Test hook: runs before each segment search of a parallel fan-out, in the thread doing it; null in use. */
    volatile SharedWork.Item segmentHook;
    /** {@link #RESULTS_PER_CHUNK}; tests make it small. */
    int resultsPerChunk = RESULTS_PER_CHUNK;

    /** {@code threads} search threads in all: the caller's and {@code threads - 1} of a pool. */
    FanOut(int threads) {
        this.threads = threads;
        this.pool = new SpinningPool(threads - 1, "hnswseg-search");
    }

    /**
     * The top {@code k} of segments {@code route} (nearest first), each searched with its beam in {@code efs}.
     * The caller searches segments itself while idle pool threads take the others, so the answer never
     * waits for a pool thread, whichever thread asks and however busy the pool is.
     */
    SearchResults query(float[] query, int k, int[] route, int[] efs, SegmentSearch search) {
        if (route.length == 1) {
            return search.search(route[0], query, k, efs[0], Float.POSITIVE_INFINITY);
        }
        SearchResults[] parts = new SearchResults[route.length];
        int others = inFlight.getAndIncrement();
        try {
            if (queryWorkNanos < parallelMinNanos || others + 1 >= threads) {
                // Sequential: the query is too small to split, or other queries already keep the pool's threads
                // busy (with as many clients as threads, handing segments over only adds wake-ups).
                // Nearest segment first: the k-th distance of what is found so far lets each later segment's
                // re-rank skip the candidates that cannot beat it (the answer stays the same).
                long start = System.nanoTime();
                float cutoff = Float.POSITIVE_INFINITY;
                for (int i = 0; i < route.length; i++) {
                    parts[i] = search.search(route[i], query, k, efs[i], cutoff);
                    if (i + 1 < route.length) {
                        cutoff = TopK.kthDistance(parts, i + 1, k);
                    }
                }
                queryWorkNanos = average(queryWorkNanos, System.nanoTime() - start);
                return TopK.merge(parts, k);
            }
            // A segment's search starts with the smallest k-th distance of the segments finished before it.
            long[] work = new long[route.length];
            Cutoff cutoff = new Cutoff();
            SharedWork.run(route.length, threads - 1, pool, i -> {
                SharedWork.Item hook = segmentHook;
                if (hook != null) {
                    hook.run(i);
                }
                long start = System.nanoTime();
                parts[i] = search.search(route[i], query, k, efs[i], cutoff.get());
                cutoff.lowerTo(TopK.kthDistance(parts[i], k));
                work[i] = System.nanoTime() - start;
            });
            queryWorkNanos = average(queryWorkNanos, Arrays.stream(work).sum());
            return TopK.merge(parts, k);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static long average(long mean, long sample) {
        return mean + (sample - mean) / 16;
    }

    /**
     * The top {@code k} of each query, searched segment by segment: the queries are routed, then each of the
     * {@code segmentCount} segments is searched for all the queries that visit it, so its links and codes stay
     * in the CPU's caches from one search to the next. A long list is taken in steps of at most
     * {@link #RESULTS_PER_CHUNK} partial results, which bounds the memory they hold at once.
     *
     * @param probesPerQuery the most segments a query visits, to size the chunks
     */
    SearchResults[] batch(List<float[]> queries, int k, int segmentCount, int probesPerQuery,
                          Function<float[], SegmentRoutes.Probes> route, SegmentSearch search) {
        int chunk = queriesPerStep(resultsPerChunk, probesPerQuery, k);
        SearchResults[] results = new SearchResults[queries.size()];
        for (int from = 0; from < results.length; from += chunk) {
            bySegment(queries, from, Math.min(results.length, from + chunk), k, segmentCount, route, search, results);
        }
        return results;
    }

    /** Queries per step of {@link #batch}: as many as hold {@code results} partial results, at least one. */
    static int queriesPerStep(int results, int probesPerQuery, int k) {
        return (int) Math.max(1, results / ((long) Math.max(1, probesPerQuery) * k));
    }

    /** Queries {@code from..to-1} of a batch, segment by segment, into {@code results}. */
    private void bySegment(List<float[]> queries, int from, int to, int k, int segmentCount,
                           Function<float[], SegmentRoutes.Probes> route, SegmentSearch search, SearchResults[] results) {
        int n = to - from;
        SegmentRoutes.Probes[] probes = new SegmentRoutes.Probes[n];
        int[] start = new int[segmentCount + 1];
        for (int i = 0; i < n; i++) {
            probes[i] = route.apply(queries.get(from + i));
            for (int s : probes[i].segments()) {
                start[s + 1]++;
            }
        }
        for (int s = 0; s < segmentCount; s++) {
            start[s + 1] += start[s];
        }
        // Work item t is the search of one segment for one query, items ordered by segment.
        int[] itemQuery = new int[start[segmentCount]];
        int[] itemProbe = new int[itemQuery.length];
        int[] next = Arrays.copyOf(start, segmentCount);
        SearchResults[][] parts = new SearchResults[n][];
        for (int i = 0; i < n; i++) {
            int[] segments = probes[i].segments();
            parts[i] = new SearchResults[segments.length];
            for (int p = 0; p < segments.length; p++) {
                int t = next[segments[p]]++;
                itemQuery[t] = i;
                itemProbe[t] = p;
            }
        }
        SharedWork.run(itemQuery.length, threads - 1, pool, t -> {
            int i = itemQuery[t];
            int p = itemProbe[t];
            parts[i][p] = search.search(probes[i].segments()[p], queries.get(from + i), k, probes[i].efs()[p], Float.POSITIVE_INFINITY);
        });
        for (int i = 0; i < n; i++) {
            results[from + i] = TopK.merge(parts[i], k);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    /**
     * A distance that k results of the query are known to be within, shared by the threads searching its
     * segments: it only goes down.
     */
    private static final class Cutoff {
        private final AtomicInteger bits = new AtomicInteger(Float.floatToIntBits(Float.POSITIVE_INFINITY));

        float get() {
            return Float.intBitsToFloat(bits.get());
        }

        void lowerTo(float distance) {
            int current = bits.get();
            while (distance < Float.intBitsToFloat(current) && !bits.compareAndSet(current, Float.floatToIntBits(distance))) {
                current = bits.get();
            }
        }
    }
}
