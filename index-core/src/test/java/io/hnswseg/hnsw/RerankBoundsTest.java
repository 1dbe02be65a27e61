package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsReader;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The re-rank skips beam nodes whose bound on the exact distance cannot beat the k-th best found: the answers
 * must be exactly those of re-ranking the whole beam, on data whose codes are coarse (outliers stretching the
 * ranges, heavy tails, real SIFT with rows x100), and the skipping must actually happen on ordinary data.
 */
class RerankBoundsTest {

    private static final int K = 10;
    private static final int[] EFS = {10, 16, 64, 160};

    /** Not ip: there the outliers x1000 make the fit refuse codes (QuantizationRecallTest), and nothing is re-ranked. */
    @ParameterizedTest
    @EnumSource(value = Metric.class, names = {"L2", "COSINE"})
    void outliers(Metric metric) {
        assertSameAnswers(Fixtures.withOutliers(5_000, 200, 32, 21, metric, 1000), metric, "outliers");
    }

    @ParameterizedTest
    @EnumSource(Metric.class)
    void heavyTails(Metric metric) {
        assertSameAnswers(Fixtures.heavyTailed(5_000, 200, 32, 22), metric, "heavy tails");
    }

    @ParameterizedTest
    @EnumSource(Metric.class)
    void clustered(Metric metric) {
        double scored = assertSameAnswers(Fixtures.clustered(5_000, 200, 32, 23), metric, "clustered");
        // Measured 0.21-0.48 of the beam at ef 64 over the three metrics; 1.0 would mean no bound ever held.
        assertTrue(scored < 0.6, "exact scores per beam node at ef 64 with bounds: " + scored);
    }

    @Test
    void sift() throws IOException {
        FloatMatrix[] data = sift20K();
        double scored = assertSameAnswers(data, Metric.L2, "sift-real 20K");
        // Measured 0.18: the codes of real SIFT leave about 12 of a beam of 64 to score exactly.
        assertTrue(scored < 0.4, "exact scores per beam node at ef 64 with bounds: " + scored);
    }

    @Test
    void siftWithTenVectorsTimes100() throws IOException {
        FloatMatrix[] data = sift20K();
        float[] v = data[0].data();
        for (int row = 1_000; row < 20_000; row += 2_000) {
            for (int d = 0; d < 128; d++) {
                v[row * 128 + d] *= 100;
            }
        }
        // Ranges stretched by the outliers make every code coarse: nearly the whole beam is scored, still the same answers.
        assertSameAnswers(data, Metric.L2, "sift-real 20K with 10 vectors x100");
    }

    private static FloatMatrix[] sift20K() throws IOException {
        Path sift = Fixtures.dataset("sift-real");
        Assumptions.assumeTrue(sift != null, "../shared/datasets/sift-real is not beside this checkout: skipped");
        return new FloatMatrix[]{VecsReader.readFloats(sift.resolve("base.fvecs"), 20_000),
                VecsReader.readFloats(sift.resolve("query.fvecs"), 300)};
    }

    @Test
    void aCutoffOnlyDropsWhatLiesBeyondIt() {
        FloatMatrix[] data = Fixtures.clustered(5_000, 200, 32, 24);
        HnswGraph graph = Fixtures.build(data[0], new HnswParams(16, 100, 9, Metric.L2), 1);
        int dropped = 0;
        for (int q = 0; q < data[1].rows(); q++) {
            float[] query = data[1].row(q);
            SearchResults full = graph.search(query, K, 64);
            for (int within : new int[]{0, 4, K - 1}) {
                float cutoff = full.distances()[within];
                SearchResults cut = GraphSearcher.searchWithin(graph, query, K, 64, cutoff);
                // Every result of the full search within the cutoff is there, in the same place.
                for (int i = 0; i <= within; i++) {
                    assertEquals(full.ids()[i], cut.ids()[i], "query " + q + " cutoff at result " + within);
                    // To float rounding: the same row's distance can differ by an ulp between two searches when one
                    // ran before the JIT compiled the kernel (seen once on JDK 25, whose compiled lane sum need not
                    // add in the interpreter's order).
                    assertEquals(full.distances()[i], cut.distances()[i],
                            Fixtures.SAME_RESULTS_TOLERANCE * Math.max(1, full.distances()[i]), "query " + q + " cutoff at result " + within);
                }
                dropped += K - cut.size();
            }
        }
        assertTrue(dropped > 0, "a cutoff never left out anything");
    }

    /**
     * Searches {@code data}'s queries on one graph with and without the re-rank's bounds, at each ef, and
     * asserts the same answers; returns the exact scores per beam node at ef 64 with bounds.
     */
    private static double assertSameAnswers(FloatMatrix[] data, Metric metric, String what) {
        HnswGraph graph = Fixtures.build(data[0], new HnswParams(16, 100, 9, metric), 1);
        Assumptions.assumeTrue(graph.codes() != null, what + ", " + metric + ": the graph is not walked on codes ("
                + graph.scoring() + "), so nothing is re-ranked");
        Observed bounded = new Observed(graph, true);
        Observed unbounded = new Observed(graph, false);
        double scoredAt64 = 0;
        for (int ef : EFS) {
            bounded.exactScores = 0;
            for (int q = 0; q < data[1].rows(); q++) {
                SearchResults expected = GraphSearcher.search(unbounded, data[1].row(q), K, ef);
                SearchResults actual = GraphSearcher.search(bounded, data[1].row(q), K, ef);
                Fixtures.assertSameResults(expected, actual, what + ", " + metric + ", ef " + ef + ", query " + q);
            }
            double scored = (double) bounded.exactScores / (data[1].rows() * (double) ef);
            System.out.printf("%s, %s, ef %d: %.3f of the beam scored exactly (%s)%n", what, metric, ef, scored, graph.scoring());
            if (ef == 64) {
                scoredAt64 = scored;
            }
        }
        return scoredAt64;
    }

    /** The graph as is, or without the approximate scorer's bounds; counts the nodes scored exactly. */
    private static final class Observed implements GraphView {
        private final HnswGraph graph;
        private final boolean bounds;
        long exactScores;

        Observed(HnswGraph graph, boolean bounds) {
            this.graph = graph;
            this.bounds = bounds;
        }

        @Override
        public NodeScorer scorer(float[] query) {
            NodeScorer walk = graph.scorer(query);
            return bounds ? walk : new NodeScorer() {
                @Override
                public float score(int node) {
                    return walk.score(node);
                }

                @Override
                public void score4(int n0, int n1, int n2, int n3, float[] out) {
                    walk.score4(n0, n1, n2, n3, out);
                }
            };
        }

        @Override
        public NodeScorer exactScorer(float[] query) {
            NodeScorer exact = graph.exactScorer(query);
            return new NodeScorer() {
                @Override
                public float score(int node) {
                    exactScores++;
                    return exact.score(node);
                }

                @Override
                public void score4(int n0, int n1, int n2, int n3, float[] out) {
                    // Padding repeats the last node: count distinct ones.
                    exactScores += 1 + (n1 != n0 ? 1 : 0) + (n2 != n1 ? 1 : 0) + (n3 != n2 ? 1 : 0);
                    exact.score4(n0, n1, n2, n3, out);
                }
            };
        }

        @Override
        public int size() {
            return graph.size();
        }

        @Override
        public int dimension() {
            return graph.dimension();
        }

        @Override
        public Metric metric() {
            return graph.metric();
        }

        @Override
        public int m() {
            return graph.m();
        }

        @Override
        public int entryNode() {
            return graph.entryNode();
        }

        @Override
        public int topLevel() {
            return graph.topLevel();
        }

        @Override
        public int level(int node) {
            return graph.level(node);
        }

        @Override
        public long externalId(int node) {
            return graph.externalId(node);
        }

        @Override
        public int nextCopy(int node) {
            return graph.nextCopy(node);
        }

        @Override
        public int distinctCount() {
            return graph.distinctCount();
        }

        @Override
        public int neighbours(int level, int node, int[] into) {
            return graph.neighbours(level, node, into);
        }

        @Override
        public void copyVector(int node, float[] into, int offset) {
            graph.copyVector(node, into, offset);
        }
    }
}
