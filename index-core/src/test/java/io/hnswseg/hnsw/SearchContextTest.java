package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-thread search state carries nothing from one search, or one graph, to the next. */
class SearchContextTest {

    @Test
    void aVisitedSetIsEmptyAtEachBeginWhateverTheSearchesBefore() {
        HnswGraph big = Fixtures.build(Fixtures.clustered(3_000, 1, 8, 1)[0], new HnswParams(8, 40, 1, Metric.L2), 1);
        HnswGraph small = Fixtures.build(Fixtures.clustered(100, 1, 8, 2)[0], new HnswParams(8, 40, 1, Metric.L2), 1);
        SearchContext ctx = SearchContext.current(big, 16, 10);
        ctx.begin(10);
        for (int node = 0; node < 3_000; node += 7) {
            assertTrue(ctx.visit(node));
            assertFalse(ctx.visit(node), "a second visit of " + node);
        }
        // A search of a smaller graph on the same thread, then the big one again: no mark survives a begin().
        ctx = SearchContext.current(small, 16, 10);
        ctx.begin(10);
        for (int node = 0; node < 100; node++) {
            assertTrue(ctx.visit(node), "node " + node + " of the small graph");
        }
        ctx = SearchContext.current(big, 16, 10);
        ctx.begin(10);
        for (int node = 0; node < 3_000; node++) {
            assertTrue(ctx.visit(node), "node " + node + " of the big graph");
        }
    }

    @Test
    void searchesOnOneThreadAcrossGraphsAnswerAsOnFreshThreads() throws Exception {
        FloatMatrix[] a = Fixtures.clustered(4_000, 20, 16, 3);
        FloatMatrix[] b = Fixtures.clustered(500, 20, 16, 4);
        HnswGraph big = Fixtures.build(a[0], new HnswParams(8, 40, 1, Metric.L2), 1);
        HnswGraph small = Fixtures.build(b[0], new HnswParams(8, 40, 1, Metric.L2), 1);
        ExecutorService one = Executors.newSingleThreadExecutor();
        try {
            for (int q = 0; q < 20; q++) {
                float[] qa = a[1].row(q);
                float[] qb = b[1].row(q);
                // The same thread alternates graphs; each answer is compared with a thread that never searched before.
                SearchResults onShared = one.submit(() -> big.search(qa, 10, 30)).get();
                SearchResults smallShared = one.submit(() -> small.search(qb, 10, 30)).get();
                Fixtures.assertSameResults(fresh(() -> big.search(qa, 10, 30)), onShared, "big graph, query " + q);
                Fixtures.assertSameResults(fresh(() -> small.search(qb, 10, 30)), smallShared, "small graph, query " + q);
            }
        } finally {
            one.shutdownNow();
        }
    }

    private static SearchResults fresh(java.util.concurrent.Callable<SearchResults> search) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            return thread.submit(search).get();
        } finally {
            thread.shutdownNow();
        }
    }
}
