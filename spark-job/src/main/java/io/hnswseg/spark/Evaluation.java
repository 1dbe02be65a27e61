package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import io.hnswseg.eval.Recall;
import io.hnswseg.hnsw.Copies;
import io.hnswseg.hnsw.GraphSearcher;
import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.routing.Centroids;
import io.hnswseg.routing.ProbeBeams;
import io.hnswseg.routing.RoutedSegments;
import io.hnswseg.segment.MappedSegment;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * The build measuring its own recall. Every build task, with its graph still in memory, computes each
 * evaluation query's exact top 10 within its partition (brute force) and searches its graph for the
 * queries routed to it at every ef of the grid; the driver merges the exact partial lists into the truth
 * over the whole input and the searches into what a reader would answer at each (nprobe, ef), exactly as
 * the reader merges segments. A query sampled from the input has its own vector (its row, and any replica or
 * copy of it) left out of both. When no routed point reaches the target, a second pass
 * ({@link EverySegmentPass}) searches the written segments as a reader asked for every segment would, and
 * its points join the grid.
 */
final class Evaluation implements Serializable {

    private static final long serialVersionUID = 1L;

    static final int K = 10;
    /** The ef grid. */
    static final int[] EFS = {16, 20, 24, 32, 40, 48, 64, 96, 128};
    /** nprobe values measured on a k-means index (those up to the partition count); more with many partitions, {@link #nprobes}. */
    static final int[] NPROBES = {1, 2, 3, 4, 6, 8};
    /**
     * Further nprobe values, each measured once there are 8 partitions or more for every segment it probes: with
     * hundreds of partitions a query's neighbours spread over more cells than 8 (probe helper 87: 512 partitions reached
     * 0.942 at nprobe 8, so the build recommended searching every segment, 25 times the work of nprobe 12 at 0.952).
     */
    private static final int[] MORE_NPROBES = {12, 16, 24, 32, 48, 64};
    /** Ranks past the largest nprobe still searched, in case partitions ranked before them turn out empty. */
    private static final int RANK_SLACK = 2;
    int queries;
    int dimension;
    /** The ids of queries sampled from the input; null for queries from a file, which leave nothing out. */
    long[] ids;
    float[] vectors;
    /** Per query, the partitions in routing order ({@code partitions} each); null for random partitioning. */
    int[] order;
    /** Per query, the geometric distance to each partition's centroid in routing order (see {@link Centroids.Ranking}). */
    double[] orderDistances;
    int partitions;
    int probeLimit;
    /** Bytes of centroids a routed query scores before any segment (0 unrouted). */
    long routingBytes;
    String source;
    /** The second pass ({@link #everySegment}) leaves the truth to the first one's partials. */
    boolean withoutTruth;
    /**
     * Per query the factor it is searched with, as a reader scales an ip query far shorter than the index's vectors
     * ({@link Vectors#ipQueryScale}); null when every one is 1. Unscaled, such a query's distances ({@code 1 - x.q}) all
     * round to 1: its truth was arbitrary, and the build's recall under-reported a sound index (review helper 76).
     */
    float[] scales;

    Evaluation() {
    }

    private Evaluation(long[] ids, float[] vectors, int dimension, int partitions, String source) {
        this.queries = vectors.length / dimension;
        this.dimension = dimension;
        this.ids = ids;
        this.vectors = vectors;
        this.partitions = partitions;
        this.source = source;
    }

    static Evaluation of(long[] ids, float[] vectors, int dimension, Partitioning partitioning, String source, Metric metric,
                         double typicalLength) {
        Evaluation e = new Evaluation(ids, vectors, dimension, partitioning.partitions, source);
        float[] scales = new float[e.queries];
        for (int q = 0; q < e.queries; q++) {
            scales[q] = Vectors.ipQueryScale(Arrays.copyOfRange(vectors, q * dimension, (q + 1) * dimension), metric, typicalLength);
        }
        e.scales = IntStream.range(0, e.queries).allMatch(q -> scales[q] == 1f) ? null : scales;
        if (partitioning.routed()) {
            Centroids c = partitioning.centroids();
            // Partitions past the centroids (a tiny input) are empty: they rank last.
            e.order = new int[e.queries * e.partitions];
            e.orderDistances = new double[e.queries * e.partitions];
            Arrays.fill(e.orderDistances, Double.POSITIVE_INFINITY);
            for (int q = 0; q < e.queries; q++) {
                Centroids.Ranking ranking = c.rank(e.searched(q, new float[dimension]), c.count());
                int[] ranked = ranking.centroids();
                System.arraycopy(ranked, 0, e.order, q * e.partitions, ranked.length);
                System.arraycopy(ranking.distances(), 0, e.orderDistances, q * e.partitions, ranked.length);
                for (int r = ranked.length; r < e.partitions; r++) {
                    e.order[q * e.partitions + r] = r;
                }
            }
            int[] nprobes = nprobes(e.partitions);
            e.probeLimit = Math.min(e.partitions, nprobes[nprobes.length - 1] + RANK_SLACK);
            e.routingBytes = 4L * c.count() * dimension;
        } else {
            e.probeLimit = e.partitions;
        }
        return e;
    }

    /** The nprobe values the grid measures on a k-means index of {@code partitions} partitions. */
    static int[] nprobes(int partitions) {
        return java.util.stream.IntStream.concat(Arrays.stream(NPROBES),
                Arrays.stream(MORE_NPROBES).filter(n -> 8L * n <= partitions)).toArray();
    }

    /**
     * This evaluation as a reader asked for nprobe 0 would search: every query in every segment with the
     * full beam, no truth (the first pass has it). The build's second pass, when no routed point reaches the
     * target ({@link EverySegmentPass}).
     */
    Evaluation everySegment() {
        Evaluation e = new Evaluation(ids, vectors, dimension, partitions, source);
        e.probeLimit = 1;
        e.withoutTruth = true;
        e.scales = scales;
        return e;
    }

    /** What an evaluation searches: the freshly built graph in its task, or a written segment in the second pass. */
    interface Searched {
        int size();

        /** Nodes that are not exact copies of another node. */
        int distinctCount();

        long externalId(int node);

        /** For each of {@code rows}, the first node holding it, or -1 ({@link Copies#nodesHolding}). */
        int[] nodesHolding(float[][] rows);

        /** The search of a new point at {@code query}, node {@code without} and its copies (-1: none) passed over. */
        SearchResults searchWithout(float[] query, int k, int ef, int without);

        /** The exact top {@code k} of each query, node {@code without[q]} and its copies left out. */
        SearchResults[] exactWithout(float[][] queries, int k, int[] without);

        static Searched of(HnswGraph graph) {
            return new Searched() {
                public int size() {
                    return graph.size();
                }

                public int distinctCount() {
                    return graph.distinctCount();
                }

                public long externalId(int node) {
                    return graph.externalId(node);
                }

                public int[] nodesHolding(float[][] rows) {
                    return Copies.nodesHolding(graph, rows);
                }

                public SearchResults searchWithout(float[] query, int k, int ef, int without) {
                    return GraphSearcher.searchWithout(graph, query, k, ef, without);
                }

                public SearchResults[] exactWithout(float[][] queries, int k, int[] without) {
                    return GraphSearcher.exactWithout(graph, queries, k, without);
                }
            };
        }

        static Searched of(MappedSegment segment) {
            return new Searched() {
                public int size() {
                    return segment.size();
                }

                public int distinctCount() {
                    return segment.distinctCount();
                }

                public long externalId(int node) {
                    return segment.externalId(node);
                }

                public int[] nodesHolding(float[][] rows) {
                    return segment.nodesHolding(rows);
                }

                public SearchResults searchWithout(float[] query, int k, int ef, int without) {
                    return segment.searchWithout(query, k, ef, without);
                }

                public SearchResults[] exactWithout(float[][] queries, int k, int[] without) {
                    return segment.exactSearchWithout(queries, k, without);
                }
            };
        }
    }

    /** What one segment contributes: exact partial truth, and its search results per (query, ef). */
    static final class Partial implements Serializable {
        private static final long serialVersionUID = 1L;
        int partition;
        /** Vectors in this segment, and those of them that are not copies of another. */
        int vectors;
        int distinct;
        /** The exact top {@link #K} of each query within this segment, {@code queries x K}; null in the second pass. */
        long[] truthIds;
        float[] truthDistances;
        /** Query indexes this segment searched. */
        int[] searched;
        /** {@code searched x EFS x K}, padded with -1 / +Inf. */
        long[] resultIds;
        float[] resultDistances;
        /** Total search nanoseconds per (ef, rank of this segment for the query): {@code EFS x probeLimit}. */
        long[] nanos;
        /** Total bytes of vectors scored, as {@link #nanos} ({@link GraphSearcher#bytesScoredByLastSearch}). */
        long[] bytes;
        /** Searches per rank of this segment for the query, {@code probeLimit} entries. */
        int[] searchesAtRank;

        Partial() {
        }
    }

    /** The task side, on the freshly built graph of {@code partition}. */
    Partial evaluate(HnswGraph graph, int partition) {
        return evaluate(Searched.of(graph), partition);
    }

    /** The task side, on {@code graph}, the segment of {@code partition}. */
    Partial evaluate(Searched graph, int partition) {
        Partial p = new Partial();
        p.partition = partition;
        p.vectors = graph.size();
        p.distinct = graph.distinctCount();
        List<Integer> searched = new ArrayList<>();
        for (int q = 0; q < queries; q++) {
            if (rank(q, partition) < probeLimit) {
                searched.add(q);
            }
        }
        p.searched = searched.stream().mapToInt(Integer::intValue).toArray();
        p.resultIds = new long[p.searched.length * EFS.length * K];
        p.resultDistances = new float[p.resultIds.length];
        p.nanos = new long[EFS.length * probeLimit];
        p.bytes = new long[EFS.length * probeLimit];
        p.searchesAtRank = new int[probeLimit];
        float[][] all = new float[queries][];
        for (int q = 0; q < queries; q++) {
            all[q] = Arrays.copyOfRange(vectors, q * dimension, (q + 1) * dimension);
        }
        int[] leftOut = leftOut(graph, all);
        if (!withoutTruth) {
            p.truthIds = new long[queries * K];
            p.truthDistances = new float[queries * K];
            float[][] asSearched = new float[queries][];
            for (int q = 0; q < queries; q++) {
                asSearched[q] = scales == null ? all[q] : searched(q, new float[dimension]);
            }
            SearchResults[] exact = graph.exactWithout(asSearched, K, leftOut);
            for (int q = 0; q < queries; q++) {
                put(exact[q], p.truthIds, p.truthDistances, q * K);
            }
        }
        float[] query = new float[dimension];
        for (int i = 0; i < p.searched.length; i++) {
            int q = p.searched[i];
            int rank = rank(q, partition);
            p.searchesAtRank[rank]++;
            searched(q, query);
            SearchResults r = null;
            int searchedEf = -1;
            long nanos = 0;
            long bytes = 0;
            for (int e = 0; e < EFS.length; e++) {
                // A routed reader (asked for K) narrows the beam with the segment's rank: the same beam here.
                int ef = order == null ? EFS[e] : ProbeBeams.ef(EFS[e], K, rank);
                // Far ranks map several grid points to one beam (k, mostly), and a search is deterministic:
                // the beams rise with e, so an equal one is the last one searched, with the same answer and cost.
                if (ef != searchedEf) {
                    long start = System.nanoTime();
                    // A sampled query is a vector of the input, held by this graph when sampled from (or replicated
                    // to) this partition, or copied in it: search as if none of it were there, as for a new point.
                    r = graph.searchWithout(query, K, ef, leftOut[q]);
                    nanos = System.nanoTime() - start;
                    bytes = GraphSearcher.bytesScoredByLastSearch();
                    searchedEf = ef;
                }
                p.nanos[e * probeLimit + rank] += nanos;
                p.bytes[e * probeLimit + rank] += bytes;
                put(r, p.resultIds, p.resultDistances, (i * EFS.length + e) * K);
            }
        }
        return p;
    }

    /** Query {@code q} as it is searched (scaled, {@link #scales}), into {@code into}; returns {@code into}. */
    private float[] searched(int q, float[] into) {
        System.arraycopy(vectors, q * dimension, into, 0, dimension);
        float scale = scales == null ? 1f : scales[q];
        for (int i = 0; scale != 1f && i < dimension; i++) {
            into[i] *= scale;
        }
        return into;
    }

    /**
     * Per query, the node to leave out of {@code graph}'s searches: for a query sampled from the input, the first
     * node holding its vector, so that neither the truth nor the results hold the query itself, a replica of it
     * or a copy of it (a copy is found at distance 0 by any search, which a new point's neighbours are not); -1
     * for a query from a file, whose copies in the input a reader would return.
     */
    private int[] leftOut(Searched graph, float[][] all) {
        int[] nodes = new int[queries];
        Arrays.fill(nodes, -1);
        if (ids == null) {
            return nodes;
        }
        int[] holding = graph.nodesHolding(all);
        java.util.Map<Long, Integer> byId = new java.util.HashMap<>();
        for (int q = 0; q < queries; q++) {
            nodes[q] = holding[q];
            byId.put(ids[q], q);
        }
        // The query's own row must be among what is left out: found by its vector, which is compared as stored.
        for (int node = 0; node < graph.size(); node++) {
            Integer q = byId.get(graph.externalId(node));
            // Row id ids[q] has another vector on the build's read than on the sample's, whose queries these are.
            if (q != null && nodes[q] < 0) {
                throw new InvalidInputException("the input gave row id " + ids[q] + " another vector on the build's read of it than"
                        + " on its first: " + InputSample.COMPUTED_ANEW);
            }
        }
        return nodes;
    }

    private int rank(int q, int partition) {
        if (order == null) {
            return 0;
        }
        for (int r = 0; r < partitions; r++) {
            if (order[q * partitions + r] == partition) {
                return r;
            }
        }
        return partitions;
    }

    private static void put(SearchResults r, long[] ids, float[] distances, int at) {
        for (int i = 0; i < K; i++) {
            ids[at + i] = i < r.size() ? r.ids()[i] : -1;
            distances[at + i] = i < r.size() ? r.distances()[i] : Float.POSITIVE_INFINITY;
        }
    }

    /**
     * The driver side: recall@10 at each (nprobe, ef) and the cheapest setting that reaches the target ({@link GridChoice#choose}),
     * cheapest by bytes of vectors scored per query: counted, so two builds of the same segments recommend
     * the same setting, where their timings (also recorded) move with the machine's load. When no point
     * reaches it, the cheapest within {@link GridChoice#NEAR_BEST} of the best recall measured.
     *
     * @param partials one per segment built (partitions without vectors have none)
     * @param routingMicros mean time to rank the centroids for one query, added to every routed setting
     * @param metric the index's: how closely two kernels' distances agree when ties are counted
     */
    IndexManifest.Quality merge(List<Partial> partials, double targetRecall, double routingMicros, Metric metric) {
        return merge(partials, null, targetRecall, routingMicros, metric);
    }

    /**
     * {@link #merge(List, double, double, Metric)} with the points of nprobe 0 (every segment, full beams) of a
     * routed index added from {@code unrouted}, the second pass's partials ({@link #everySegment()}).
     */
    IndexManifest.Quality merge(List<Partial> partials, List<Partial> unrouted, double targetRecall, double routingMicros,
                                Metric metric) {
        Top[] truth = new Top[queries];
        for (int q = 0; q < queries; q++) {
            truth[q] = topK(partials, q, -1, null);
        }
        Map<String, Double> standardErrors = new HashMap<>();
        List<IndexManifest.GridPoint> grid = grid(partials, truth, routingMicros, metric, standardErrors);
        if (unrouted != null) {
            grid.addAll(everySegment().grid(unrouted, truth, 0, metric, standardErrors));
        }
        GridChoice.Choice chosen = GridChoice.choose(grid, standardErrors, targetRecall);
        return new IndexManifest.Quality(queries, source, targetRecall, chosen.reached(), chosen.point(), grid);
    }

    /**
     * Recall@10 against {@code truth} and the counted cost at every (nprobe, ef) this evaluation's searches cover.
     * A neighbour as near as the 10th true one counts ({@link Recall#hits}): of exact duplicates, the
     * truth lists whichever ids sort first. Puts each point's standard error over the queries in {@code standardErrors},
     * keyed {@code "nprobe/ef"}.
     */
    private List<IndexManifest.GridPoint> grid(List<Partial> partials, Top[] truth, double routingMicros, Metric metric,
                                               Map<String, Double> standardErrors) {
        Partial[] byPartition = new Partial[partitions];
        for (Partial p : partials) {
            byPartition[p.partition] = p;
        }
        int[][] position = new int[partitions][];
        for (Partial p : partials) {
            position[p.partition] = new int[queries];
            Arrays.fill(position[p.partition], -1);
            for (int i = 0; i < p.searched.length; i++) {
                position[p.partition][p.searched[i]] = i;
            }
        }
        double[][] meanMicros = mean(partials, p -> p.nanos, 1e3);
        double[][] meanBytes = mean(partials, p -> p.bytes, 1);
        List<IndexManifest.GridPoint> grid = new ArrayList<>();
        int segments = partials.size();
        int[] measured = nprobes(partitions);
        int[] nprobes = order == null ? new int[]{0}
                : Arrays.stream(measured).filter(n -> n < segments).toArray();
        if (order != null && segments <= measured[measured.length - 1]) {
            // Every segment, ranked (narrower beams further away), as a reader asked for nprobe = segments.
            nprobes = Arrays.copyOf(nprobes, nprobes.length + 1);
            nprobes[nprobes.length - 1] = segments;
        }
        RoutedSegments routes = routes(byPartition);
        for (int nprobe : nprobes) {
            int[][] ranks = new int[queries][];
            for (int q = 0; q < queries; q++) {
                ranks[q] = probedRanks(byPartition, routes, q, nprobe);
            }
            for (int e = 0; e < EFS.length; e++) {
                double found = 0;
                double foundByIds = 0;
                double possible = 0;
                // Per query: its recall's sum and sum of squares, for the estimate's standard error.
                double sum = 0;
                double squares = 0;
                int counted = 0;
                double micros = 0;
                double bytes = 0;
                for (int q = 0; q < queries; q++) {
                    List<Partial> probed = new ArrayList<>();
                    for (int rank : ranks[q]) {
                        probed.add(byPartition[order == null ? rank : order[q * partitions + rank]]);
                        micros += order == null ? 0 : meanMicros[e][Math.min(rank, probeLimit - 1)];
                        bytes += order == null ? 0 : meanBytes[e][Math.min(rank, probeLimit - 1)];
                    }
                    Top t = truth[q];
                    int n = t.ids().length;
                    if (n > 0) {
                        Top answer = topK(probed, q, e, position);
                        int hits = Recall.hits(answer.ids(), answer.distances(), t.ids(), t.distances()[n - 1], metric);
                        found += hits;
                        foundByIds += Recall.idHits(answer.ids(), t.ids());
                        double r = (double) hits / n;
                        sum += r;
                        squares += r * r;
                        counted++;
                    }
                    possible += n;
                }
                // Unrouted: every segment at rank 0's cost; routed: the routing plus each query's own probes.
                micros = order == null ? segments * meanMicros[e][0] : routingMicros + micros / Math.max(1, queries);
                bytes = order == null ? segments * meanBytes[e][0] : routingBytes + bytes / Math.max(1, queries);
                grid.add(new IndexManifest.GridPoint(nprobe, EFS[e], recall(found, possible), round(micros), Math.round(bytes),
                        recall(foundByIds, possible)));
                double variance = counted < 2 ? 0 : Math.max(0, (squares - sum * sum / counted) / (counted - 1));
                standardErrors.put(nprobe + "/" + EFS[e], Math.sqrt(variance / Math.max(1, counted)));
            }
        }
        return grid;
    }

    /** Four decimals, but never 1.0 for an answer that missed a neighbour (one miss in 20,000 rounds up). */
    private static double recall(double found, double possible) {
        // Nothing possible: no query had a neighbour but its own copies (an input of one vector), so no answer
        // missed one (probe helper 47: 0 claimed, and --require-recall refused the index).
        return possible == 0 ? 1.0 : found < possible ? Math.min(round(found / possible), 0.9999) : 1.0;
    }

    /**
     * Mean of one segment search's {@code total} (nanoseconds, bytes), divided by {@code unit}, per (ef, rank
     * of the segment for the query); a rank no query reached takes the mean of the rank before it (the same
     * beam or a wider one: an upper bound).
     */
    private double[][] mean(List<Partial> partials, Function<Partial, long[]> total, double unit) {
        double[][] mean = new double[EFS.length][probeLimit];
        for (int e = 0; e < EFS.length; e++) {
            for (int rank = 0; rank < probeLimit; rank++) {
                long sum = 0;
                long searches = 0;
                for (Partial p : partials) {
                    sum += total.apply(p)[e * probeLimit + rank];
                    searches += p.searchesAtRank[rank];
                }
                mean[e][rank] = searches > 0 ? sum / unit / searches : rank > 0 ? mean[e][rank - 1] : 0;
            }
        }
        return mean;
    }

    private static double round(double x) {
        return Math.round(x * 10_000) / 10_000.0;
    }

    /** The built partitions as a reader routes them: per partition (centroid) its segment, the partition itself. */
    private static RoutedSegments routes(Partial[] byPartition) {
        int[] segmentOf = new int[byPartition.length];
        long[] counts = new long[byPartition.length];
        long[] distinct = new long[byPartition.length];
        for (int p = 0; p < byPartition.length; p++) {
            segmentOf[p] = byPartition[p] == null ? -1 : p;
            counts[p] = byPartition[p] == null ? 0 : byPartition[p].vectors;
            distinct[p] = byPartition[p] == null ? 0 : byPartition[p].distinct;
        }
        return new RoutedSegments(segmentOf, counts, distinct);
    }

    /**
     * The segments a reader would search for query {@code q}, as its ranks (the partition of rank r is
     * {@code order[q * partitions + r]}): those {@link RoutedSegments#choose} chooses, as the reader does; on an
     * index partitioned at random every built one (its "rank" is then the partition: all are searched alike).
     */
    private int[] probedRanks(Partial[] byPartition, RoutedSegments routes, int q, int nprobe) {
        int[] ranks = new int[partitions];
        int n = 0;
        if (order == null) {
            for (int p = 0; p < partitions; p++) {
                if (byPartition[p] != null) {
                    ranks[n++] = p;
                }
            }
            return Arrays.copyOf(ranks, n);
        }
        // Only the first probeLimit ranks were searched: a reader that goes further for a short answer (segments
        // of fewer than K vectors) finds more than measured here.
        n = routes.choose(nprobe, K, order, orderDistances, q * partitions, probeLimit, partitions, ranks);
        return Arrays.copyOf(ranks, n);
    }

    /** A query's merged top {@link #K}: ids and distances, nearest first. */
    private record Top(long[] ids, float[] distances) {
    }

    /**
     * The top {@link #K} over {@code parts} for query {@code q}: of the exact partial lists when
     * {@code ef < 0}, else of the searches at that ef. Ids seen twice (replicated vectors) count once.
     */
    private static Top topK(List<Partial> parts, int q, int ef, int[][] position) {
        List<long[]> all = new ArrayList<>();
        for (Partial p : parts) {
            long[] ids;
            float[] distances;
            int at;
            if (ef < 0) {
                ids = p.truthIds;
                distances = p.truthDistances;
                at = q * K;
            } else {
                int i = position[p.partition][q];
                if (i < 0) {
                    continue; // ranked past the searched limit: a reader at this nprobe would not reach it either
                }
                ids = p.resultIds;
                distances = p.resultDistances;
                at = (i * EFS.length + ef) * K;
            }
            for (int j = 0; j < K; j++) {
                if (ids[at + j] >= 0 || distances[at + j] != Float.POSITIVE_INFINITY) {
                    all.add(new long[]{Float.floatToIntBits(distances[at + j]), ids[at + j]});
                }
            }
        }
        all.sort(Comparator.<long[]>comparingDouble(e -> Float.intBitsToFloat((int) e[0])).thenComparingLong(e -> e[1]));
        Set<Long> seen = new HashSet<>();
        long[] ids = new long[K];
        float[] distances = new float[K];
        int n = 0;
        for (long[] e : all) {
            if (n == K) {
                break;
            }
            if (seen.add(e[1])) {
                ids[n] = e[1];
                distances[n++] = Float.intBitsToFloat((int) e[0]);
            }
        }
        return new Top(Arrays.copyOf(ids, n), Arrays.copyOf(distances, n));
    }
}
