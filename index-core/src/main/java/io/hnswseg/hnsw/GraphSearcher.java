package io.hnswseg.hnsw;

import io.hnswseg.distance.ColumnTile;
import io.hnswseg.distance.Vectors;

/**
 * Top-k search over any {@link GraphView}: greedy descent from the entry node through the upper layers,
 * then a beam search of width {@code ef} on layer 0. The builder uses the same layer search to find a new
 * node's neighbours, so construction and queries walk the graph identically.
 */
public final class GraphSearcher {

    private GraphSearcher() {
    }

    /**
     * The exact {@code k} nearest nodes of {@code graph} by brute force over every node with exact
     * distances (ties by node order, a vector's copies right after it): the truth searches are measured
     * against. Validates as {@link #search}.
     */
    public static SearchResults exact(GraphView graph, float[] query, int k) {
        return exact(graph, new float[][] {query}, k)[0];
    }

    /**
     * {@link #exact(GraphView, float[], int)} for many queries at once: the nodes are scanned in tiles of
     * {@value ColumnTile#GROUP}, each scored against every query while it is in cache, so a batch reads the
     * vectors from memory once instead of once per query.
     */
    public static SearchResults[] exact(GraphView graph, float[][] queries, int k) {
        return exactWithout(graph, queries, k, null);
    }

    /**
     * {@link #exact(GraphView, float[][], int)} as if, for query {@code i}, node {@code without[i]} and its
     * copies were not in the graph: the truth for {@link #searchWithout}. {@code without[i]} is -1 (none) or
     * the first node holding its vector ({@link Copies#nodesHolding}); {@code without} null leaves none out.
     */
    public static SearchResults[] exactWithout(GraphView graph, float[][] queries, int k, int[] without) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be > 0, got " + k);
        }
        k = Math.min(k, graph.size());
        float[][] checked = new float[queries.length][];
        for (int i = 0; i < queries.length; i++) {
            float[] query = queries[i];
            Vectors.checkDimension(query.length, graph.dimension(), "query");
            Vectors.checkValid(query, 0, query.length, graph.metric(), "query");
            float[] q = query;
            if (graph.metric().normalizes()) {
                q = query.clone();
                Vectors.normalize(q, 0, q.length);
            }
            checked[i] = q;
        }
        // Only the first node of each vector is scored, and its copies follow it into the answer: a vector
        // held 60,000 times then takes one place in the scan's lists, not k places per query.
        int[] firsts = Copies.firstNodes(graph);
        if (without != null) {
            checkLeftOut(graph, without, queries.length, firsts);
        }
        int scanned = firsts == null ? graph.size() : firsts.length;
        int n = Math.min(k + (without == null ? 0 : 1), scanned);
        int[][] nearest = new int[queries.length][n];
        float[][] distances = new float[queries.length][n];
        ColumnTile.scan(graph.metric(), graph.dimension(), scanned,
                (row, into) -> graph.copyVector(firsts == null ? row : firsts[row], into, 0), checked, nearest, distances);
        SearchResults[] results = new SearchResults[queries.length];
        long[] ids = new long[k];
        float[] kept = new float[k];
        for (int i = 0; i < queries.length; i++) {
            int leftOut = without == null ? -1 : without[i];
            int found = 0;
            for (int j = 0; j < n && found < k; j++) {
                int first = firsts == null ? nearest[i][j] : firsts[nearest[i][j]];
                if (first == leftOut) {
                    continue;
                }
                for (int node = first; node >= 0 && found < k; node = graph.nextCopy(node)) {
                    ids[found] = graph.externalId(node);
                    kept[found++] = distances[i][j];
                }
            }
            results[i] = new SearchResults(java.util.Arrays.copyOf(ids, found), java.util.Arrays.copyOf(kept, found));
        }
        return results;
    }

    private static void checkLeftOut(GraphView graph, int[] without, int queries, int[] firsts) {
        if (without.length != queries) {
            throw new IllegalArgumentException(without.length + " nodes to leave out for " + queries + " queries");
        }
        for (int node : without) {
            if (node < -1 || node >= graph.size()) {
                throw new IllegalArgumentException("node " + node + " to leave out is outside [0, " + graph.size() + ") (or -1: none)");
            }
            if (node >= 0 && firsts != null && java.util.Arrays.binarySearch(firsts, node) < 0) {
                throw new IllegalArgumentException("node " + node + " to leave out is a copy of an earlier node: pass the first node holding its vector");
            }
        }
    }

    /** Validates the query, then returns the {@code k} nearest nodes of {@code graph}; see {@link VectorIndex#search}. */
    public static SearchResults search(GraphView graph, float[] query, int k, int ef) {
        return search(graph, query, k, ef, -1, Float.POSITIVE_INFINITY);
    }

    /**
     * {@link #search(GraphView, float[], int, int)} as if node {@code without} and its copies were not in the
     * graph: none of them is entered or returned (the descent may score the node with its neighbours, and
     * passes it over). {@code without} is the first node holding its vector ({@link Copies#nodesHolding}), or -1
     * for none; a later copy is refused. Measuring recall with a vector of the graph as the query is then a search for a new point, not a
     * walk to a node whose links already are its neighbours (which makes in-graph queries look several points
     * better than real ones at small ef), nor a search that finds the query's copies, which a new point has none of.
     */
    public static SearchResults searchWithout(GraphView graph, float[] query, int k, int ef, int without) {
        if (without < -1 || without >= graph.size()) {
            throw new IllegalArgumentException("node " + without + " to leave out is outside [0, " + graph.size() + ") (or -1: none)");
        }
        SearchResults walked = search(graph, query, k, ef, without, Float.POSITIVE_INFINITY);
        if (without >= 0 && ef >= graph.distinctCount()) {
            // A beam as wide as the graph's walk takes in every distinct vector, all reachable (the builder sees to
            // it), so a search's answer is the exact one. Without the left-out node, the only link to some nodes of a
            // graph of a few vectors may be gone: segments of 3-6 vectors measured 0.99 where every answer is exact,
            // and --require-recall 0.995 refused the index (probe helper 45). The walk still counts the cost.
            return exactWithout(graph, new float[][] {query}, Math.min(k, graph.size()), new int[] {without})[0];
        }
        return walked;
    }

    /**
     * {@link #search(GraphView, float[], int, int)} for a caller that already holds {@code k} results, from
     * other segments, within distance {@code cutoff}: nodes that cannot come closer than {@code cutoff} are
     * not re-ranked, so they may be missing from the answer, which may then hold fewer than {@code k}. Merged
     * with the caller's results, the top {@code k} are those of the full search.
     */
    public static SearchResults searchWithin(GraphView graph, float[] query, int k, int ef, float cutoff) {
        return search(graph, query, k, ef, -1, cutoff);
    }

    private static SearchResults search(GraphView graph, float[] query, int k, int ef, int without, float cutoff) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be > 0, got " + k);
        }
        if (ef < k) {
            throw new IllegalArgumentException("ef must be >= k, got ef=" + ef + " k=" + k);
        }
        Vectors.checkDimension(query.length, graph.dimension(), "query");
        Vectors.checkValid(query, 0, query.length, graph.metric(), "query");
        if (graph.size() == 0) {
            throw new IllegalStateException("the index is empty: it holds no vectors to search");
        }
        // A beam as wide as the graph holds all of it: a wider one finds nothing more, and its buffers (ef + 1
        // slots, kept by the thread) could exhaust the heap or overflow.
        if (ef > graph.size()) {
            ef = graph.size();
            k = Math.min(k, ef);
        }
        float[] q = query;
        if (graph.metric().normalizes()) {
            q = query.clone();
            Vectors.normalize(q, 0, q.length);
        }
        SearchContext ctx = SearchContext.current(graph, 2 * graph.m(), ef);
        if (without >= 0 && graph.distinctCount() < graph.size() && without != graph.entryNode()
                && graph.neighbours(0, without, ctx.neighbours) == 0) {
            // Every node of the walk but a lone entry has links; a later copy has none, and leaving it out would
            // leave its vector in (its first node and the other copies would be walked and returned).
            throw new IllegalArgumentException("node " + without + " to leave out is a copy of an earlier node: pass the first node holding its vector");
        }
        NodeScorer scorer = graph.scorer(q);
        ctx.approximateRows = 1;
        ctx.exactRows = 0;
        int entry = graph.entryNode();
        // Left-out entry: start there at an infinite distance, so the first neighbour seen replaces it.
        float entryDistance = entry == without ? Float.POSITIVE_INFINITY : scorer.score(entry);
        long closest = descend(graph, scorer, entry, entryDistance, graph.topLevel(), 0, without, ctx);
        ctx.begin(ef);
        if (without >= 0) {
            ctx.visit(without);
        }
        int start = ScoredNode.nodeOf(closest);
        if (start != without) {
            ctx.seed(start, ScoredNode.distanceOf(closest));
        } else {
            // Every upper-layer neighbour was the left-out node (a tiny graph): start from its layer-0 links.
            int count = graph.neighbours(0, start, ctx.neighbours);
            ctx.approximateRows += count;
            for (int i = 0; i < count; i++) {
                ctx.seed(ctx.neighbours[i], scorer.score(ctx.neighbours[i]));
            }
        }
        searchLayer(graph, scorer, 0, ctx);
        NodeScorer exact = graph.exactScorer(q);
        if (exact != null) {
            rerank(scorer, exact, k, cutoff, ctx);
        }
        long floatRow = 4L * graph.dimension();
        ctx.lastSearchBytes = ctx.approximateRows * (exact != null ? graph.dimension() : floatRow) + ctx.exactRows * floatRow;
        return answer(graph, ctx.beam, k, without);
    }

    /**
     * The ids of the beam's nodes nearest first, each followed by its copies, up to {@code k}, without {@code leftOut}
     * (never in the beam when it is the first node of its vector, as it should be; a copy passed instead stays out).
     */
    private static SearchResults answer(GraphView graph, Beam beam, int k, int leftOut) {
        int n = 0;
        for (int i = 0; i < beam.size() && n < k; i++) {
            for (int node = beam.node(i); node >= 0 && n < k; node = graph.nextCopy(node)) {
                n += node != leftOut ? 1 : 0;
            }
        }
        long[] ids = new long[n];
        float[] distances = new float[n];
        int at = 0;
        for (int i = 0; at < n; i++) {
            float distance = beam.distance(i);
            for (int node = beam.node(i); node >= 0 && at < n; node = graph.nextCopy(node)) {
                if (node != leftOut) {
                    ids[at] = graph.externalId(node);
                    distances[at++] = distance;
                }
            }
        }
        return new SearchResults(ids, distances);
    }

    /**
     * Re-scores the beam with exact distances and leaves the best {@code k} of them in it: the walk used
     * approximate ones, the answer must not. Every node of the beam is a candidate, not just the top k, so
     * a neighbour that quantization ranked just outside the top k still makes it back in; but a node whose
     * lower bound ({@link NodeScorer#lowerBound}) exceeds the k-th best exact distance found (or the
     * caller's {@code cutoff}) cannot enter the top k and is not scored. The k closest by approximate
     * distance are scored first, fetched together, to set that k-th distance; then the rest that can beat it.
     * The answer is that of scoring the whole beam.
     */
    private static void rerank(NodeScorer approximate, NodeScorer exact, int k, float cutoff, SearchContext ctx) {
        Beam beam = ctx.beam;
        int n = beam.size();
        int[] nodes = ctx.rerankNodes;
        float[] bounds = ctx.rerankBounds;
        for (int i = 0; i < n; i++) {
            nodes[i] = beam.node(i);
            bounds[i] = approximate.lowerBound(nodes[i], beam.distance(i));
        }
        beam.reset(k);
        int[] picked = ctx.batch.length >= n + 3 ? ctx.batch : (ctx.batch = new int[n + 3]);
        int count = 0;
        int i = 0;
        for (; i < n && count < k; i++) {
            // Not "bound <= limit": a NaN bound (a corrupt file's error) must not drop a node.
            if (!(bounds[i] > cutoff)) {
                picked[count++] = nodes[i];
            }
        }
        scoreInto(exact, picked, count, ctx);
        float limit = Math.min(cutoff, beam.worst());
        count = 0;
        for (; i < n; i++) {
            if (!(bounds[i] > limit)) {
                picked[count++] = nodes[i];
            }
        }
        scoreInto(exact, picked, count, ctx);
    }

    /** Scores {@code nodes[0..count)} exactly, four at a time, and offers each to the beam. */
    private static void scoreInto(NodeScorer exact, int[] nodes, int count, SearchContext ctx) {
        Beam beam = ctx.beam;
        ctx.exactRows += count;
        float[] d4 = ctx.distances4;
        exact.prefetch(nodes, count);
        padToFour(nodes, count);
        for (int i = 0; i < count; i += 4) {
            exact.score4(nodes[i], nodes[i + 1], nodes[i + 2], nodes[i + 3], d4);
            for (int j = 0, end = Math.min(4, count - i); j < end; j++) {
                beam.offer(d4[j], nodes[i + j]);
            }
        }
    }

    /**
     * Greedy descent: on each layer from {@code fromLevel} down to {@code toLevel + 1}, moves to the closest
     * neighbour until none is closer. Returns the packed (distance, node) reached.
     */
    static long descend(GraphView graph, NodeScorer scorer, int node, float distance, int fromLevel, int toLevel,
                        SearchContext ctx) {
        return descend(graph, scorer, node, distance, fromLevel, toLevel, -1, ctx);
    }

    /**
     * Greedy descent from {@code node} through layers {@code fromLevel..toLevel+1}, never moving to {@code without}.
     * A node's links are scored four at a time after touching them all, as on layer 0: the upper layers are
     * the coldest part of a search (every query of every segment starts there), so their cache misses are
     * what a small segment's search mostly waits on. The comparisons run in link order, as one at a time would.
     */
    static long descend(GraphView graph, NodeScorer scorer, int node, float distance, int fromLevel, int toLevel, int without,
                        SearchContext ctx) {
        int[] links = ctx.neighbours;
        float[] d4 = ctx.distances4;
        for (int level = fromLevel; level > toLevel; level--) {
            boolean moved = true;
            while (moved) {
                moved = false;
                int count = graph.neighbours(level, node, links);
                ctx.approximateRows += count;
                scorer.prefetch(links, count);
                padToFour(links, count);
                for (int i = 0; i < count; i += 4) {
                    scorer.score4(links[i], links[i + 1], links[i + 2], links[i + 3], d4);
                    for (int j = 0; j < 4; j++) {
                        // A pad repeats the last link, whose distance is then not below itself.
                        if (d4[j] < distance && links[i + j] != without) {
                            distance = d4[j];
                            node = links[i + j];
                            moved = true;
                        }
                    }
                }
            }
        }
        return ScoredNode.encode(distance, node);
    }

    /**
     * Beam search on one layer from the seeds already in {@code ctx}'s beam (of width {@code ef}); leaves the
     * best {@code ef} in it, closest first. Unvisited neighbours are scored four at a time to share the
     * query loads.
     */
    static void searchLayer(GraphView graph, NodeScorer scorer, int level, SearchContext ctx) {
        Beam beam = ctx.beam;
        int[] buffer = ctx.neighbours;
        int[] batch = ctx.batch;
        float[] d4 = ctx.distances4;
        long scored = 0;
        for (int node = beam.expandNext(); node >= 0; node = beam.expandNext()) {
            int fresh = ctx.unvisited(buffer, graph.neighbours(level, node, buffer), batch);
            scored += fresh;
            scorer.prefetch(batch, fresh);
            padToFour(batch, fresh);
            float worst = beam.worst();
            for (int i = 0; i < fresh; i += 4) {
                scorer.score4(batch[i], batch[i + 1], batch[i + 2], batch[i + 3], d4);
                for (int j = 0, n = Math.min(4, fresh - i); j < n; j++) {
                    if (d4[j] < worst) {
                        beam.offer(d4[j], batch[i + j]);
                        worst = beam.worst();
                    }
                }
            }
        }
        ctx.approximateRows += scored;
    }

    /**
     * Bytes of vectors the last completed {@code search} on the calling thread scored: rows of int8 codes
     * (one byte a component) and of floats (four), whatever the padding to fours added; for a graph without
     * codes every row is floats. Deterministic for a given graph and query, unlike its time, so settings can
     * be compared by it on a noisy machine: at these sizes a search's time is mostly these rows' cache misses.
     */
    public static long bytesScoredByLastSearch() {
        return SearchContext.ofThisThread().lastSearchBytes;
    }

    /**
     * Repeats the last of {@code nodes[0..count)} up to a multiple of four, so that every node is scored by
     * {@link NodeScorer#score4}: scoring the one to three left over one at a time cost more than the repeats
     * (each single score pays a whole horizontal reduction and its own cache misses). The array must have
     * three slots to spare.
     */
    private static void padToFour(int[] nodes, int count) {
        if (count > 0) {
            int last = nodes[count - 1];
            for (int i = count; (i & 3) != 0; i++) {
                nodes[i] = last;
            }
        }
    }
}
