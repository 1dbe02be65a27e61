package io.hnswseg.hnsw;

import io.hnswseg.concurrent.DaemonThreads;
import io.hnswseg.distance.CodeQuery;
import io.hnswseg.distance.FloatPages;
import io.hnswseg.distance.QuantizedVectors;
import io.hnswseg.distance.Vectors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Builds an {@link HnswGraph}: first {@link #add} the vectors (they are copied into the graph's contiguous
 * storage and validated), then {@link #build(int)} inserts them with any number of threads.
 *
 * <p>Each insertion follows the published algorithm: a random level with {@code mL = 1/ln(M)}, greedy
 * descent from the entry node through the layers above that level, then on each layer from the node's
 * level down to 0 a beam search of width efConstruction; then, from layer 0 up, the diversity heuristic to
 * choose M neighbours from that layer's beam and links in both directions; a neighbour whose list overflows
 * is pruned with the same heuristic. Linking from the bottom up keeps a node out of reach on a layer until
 * its lists below are linked.
 *
 * <p>Concurrency: a node's lists are changed under a striped lock held only for that change; searches read
 * lists without locks (counts are published with release/acquire). A node that raises the top level holds
 * the top lock for its insertion, which happens about {@code log_M(n)} times per build.
 */
public final class HnswGraphBuilder {

    private final HnswGraph graph;
    private final double levelMultiplier;
    private final ReentrantLock topLock = new ReentrantLock();
    private boolean built;
    /** Times a new node's list already held links from other threads when its own were added (merged, not replaced). */
    private final AtomicInteger mergedLists = new AtomicInteger();
    /** int8 codes scored during construction, or null to score the float vectors. */
    private QuantizedVectors codes;
    /**
     * Per row, a hash of its codes ({@link QuantizedVectors#codeHash}), so that {@link #selectDiverse} compares code
     * bytes only for rows of equal hashes. Not their code distance to themselves: JDK 21 and later round a lane sum
     * differently in interpreted and compiled code (review helper 38: half the rows differed on JDK 25). Null
     * without codes, and once the graph is built.
     */
    private int[] codeHashes;
    /** What construction and searches score, and why; see {@link HnswGraph#scoring()}. */
    private String scoring = "float vectors (int8 codes off)";

    /**
     * @param dimension vector dimension
     * @param capacity  how many vectors will be added (storage is allocated once, up front)
     */
    public HnswGraphBuilder(int dimension, int capacity, HnswParams params) {
        this(new HnswGraph(dimension, capacity, params));
    }

    /**
     * A builder of {@code graph}, empty; tests hand in graphs whose vectors sit in small pages.
     *
     * @throws IllegalArgumentException when the build beam is narrower than M: a node would choose its links among
     *         fewer candidates than it may keep (segments so built before this check still open)
     */
    HnswGraphBuilder(HnswGraph graph) {
        HnswParams params = graph.params;
        if (params.efConstruction() < params.m()) {
            throw new IllegalArgumentException(beamBelowM(params.efConstruction(), params.m()));
        }
        this.graph = graph;
        this.levelMultiplier = 1.0 / Math.log(graph.params.m());
    }

    /** Why a build with beam {@code efConstruction} and {@code m} links is refused, in the command line's words. */
    public static String beamBelowM(int efConstruction, int m) {
        return "--ef-construction " + efConstruction + " is below --m " + m + ": each vector would choose its links among fewer"
                + " candidates than the " + m + " it may keep; give --ef-construction " + m + " or more (the default is "
                + HnswParams.DEFAULT_EF_CONSTRUCTION + ")";
    }

    /** Adds a vector; see {@link #add(long, float[], int)}. */
    public int add(long id, float[] vector) {
        Vectors.checkDimension(vector.length, graph.dimension, "vector for id " + id);
        return add(id, vector, 0);
    }

    /**
     * Copies {@code source[offset..offset+dimension)} into the graph under {@code id}. Safe to call from
     * several threads (calls take turns: a vector is a copy and a check, too little to share out); add
     * everything first, then build.
     *
     * @return the internal node number, until {@link #build}: a large graph's nodes are reordered by region
     *         before they are inserted (ids stay with their vectors)
     * @throws IllegalArgumentException for a range outside {@code source}, NaN/Inf components, or a zero vector
     *                                  with the cosine metric
     * @throws IllegalStateException    when the capacity is reached or the graph is already built
     */
    public synchronized int add(long id, float[] source, int offset) {
        if (offset < 0 || offset > source.length - graph.dimension) {
            throw new IllegalArgumentException("vector for id " + id + ": components " + offset + ".." + ((long) offset + graph.dimension - 1)
                    + " are outside the source array of length " + source.length);
        }
        if (built) {
            throw new IllegalStateException("the graph is already built");
        }
        int node = graph.size;
        if (node == graph.capacity) {
            throw new IllegalStateException("capacity of " + graph.capacity + " vectors reached");
        }
        int dim = graph.dimension;
        Vectors.checkValid(source, offset, dim, graph.metric, "vector for id " + id);
        float[] page = graph.vectors.page(node);
        int at = graph.vectors.offset(node);
        System.arraycopy(source, offset, page, at, dim);
        Vectors.asStored(page, at, dim, graph.metric);
        graph.ids[node] = id;
        graph.allocateUpper(node, drawLevel(node));
        graph.size = node + 1;
        return node;
    }

    public synchronized int size() {
        return graph.size;
    }

    /** The graph being built (tests drive the linking steps on it directly). */
    HnswGraph graph() {
        return graph;
    }

    /**
     * How many times, during {@link #build}, a node's own links on a layer were merged into a list that
     * other threads had already linked into: it was found on that layer before it was linked there. Since
     * nodes are linked bottom up this is 0 with any number of threads (a node is reachable on a layer only
     * through the reverse links of its own linking there); linked top down, 4 threads made such merges on
     * 12,000 vectors, each one an insert that had begun its layer below from a node with no links there.
     */
    public int mergedLists() {
        return mergedLists.get();
    }

    /** A deterministic level per node (a hash of seed and node), so levels do not depend on thread timing. */
    private int drawLevel(int node) {
        long h = mix(graph.params.seed() ^ (0x9E3779B97F4A7C15L * (node + 1L)));
        double uniform = ((h >>> 11) + 1) * 0x1.0p-53; // in (0, 1]
        return (int) Math.min(HnswGraph.MAX_LEVEL, Math.floor(-Math.log(uniform) * levelMultiplier));
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Inserts every added vector and returns the finished graph. From {@value InsertionOrder#MIN_VECTORS}
     * vectors on, the vectors are first put in the order of coarse k-means cells, in rounds (see {@link InsertionOrder}),
     * so node numbers then differ from the order of {@link #add}; search results carry the ids.
     *
     * @param threads insertion threads; 1 gives a build fully determined by the seed
     * @throws IllegalStateException when no vector was added or the graph was already built
     */
    public synchronized HnswGraph build(int threads) {
        if (built) {
            throw new IllegalStateException("the graph is already built");
        }
        if (graph.size == 0) {
            throw new IllegalStateException("cannot build an empty index: no vectors were added");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        built = true;
        InsertionOrder.apply(graph, threads);
        boolean[] copies = indexCopiesOnce();
        if (graph.params.quantized()) {
            QuantizedVectors.Fit fit = QuantizedVectors.fit(graph.vectors, graph.size, graph.metric, threads);
            codes = fit.codes();
            scoring = fit.description();
            codeHashes = codes == null ? null : codeHashes(codes, graph.size);
            if (codes == null) {
                System.getLogger("io.hnswseg.hnsw").log(System.Logger.Level.INFO, "graph of " + graph.size + " vectors scores " + scoring);
            }
        }
        AtomicInteger next = new AtomicInteger();
        int n = graph.size;
        if (threads == 1) {
            insertAll(next, n, copies);
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(threads, DaemonThreads.named("hnsw-build"));
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    futures.add(pool.submit(() -> insertAll(next, n, copies)));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } catch (InterruptedException e) {
                // shutdownNow below interrupts the inserting threads, which stop at their next look at the flag.
                Thread.currentThread().interrupt();
                java.util.concurrent.CancellationException cancelled = new java.util.concurrent.CancellationException("graph build interrupted");
                cancelled.initCause(e);
                throw cancelled;
            } catch (ExecutionException e) {
                throw new IllegalStateException("build failed: " + e.getCause(), e.getCause());
            } finally {
                pool.shutdownNow();
            }
        }
        reconnectUnreachable(copies);
        codeHashes = null;
        graph.releaseBuildState();
        graph.codes = codes;
        graph.scoring = scoring;
        return graph;
    }

    /**
     * Finds the vectors added more than once ({@link Copies}): their later nodes get level 0 and will not be
     * inserted. Returns which nodes are such copies, or null when there are none.
     */
    private boolean[] indexCopiesOnce() {
        int[] chains = Copies.chains(graph.vectors, graph.size, graph.dimension);
        boolean[] copies = Copies.copies(chains);
        if (copies == null) {
            return null;
        }
        int count = 0;
        for (int node = 0; node < graph.size; node++) {
            if (copies[node]) {
                graph.levels[node] = 0;
                graph.upper[node] = null;
                graph.upperDistances[node] = null;
                count++;
            }
        }
        graph.nextCopy = chains;
        graph.copies = count;
        System.getLogger("io.hnswseg.hnsw").log(System.Logger.Level.INFO, count + " of " + graph.size
                + " vectors are exact copies of others: each vector is in the graph once, its copies returned with it");
        return copies;
    }

    /** Inserts between two looks at the thread's interrupt flag: a power of two, a few milliseconds of work. */
    private static final int INTERRUPT_CHECK = 256;

    /** Inserts nodes taken from {@code next} below {@code n}, except {@code copies} (null: none). */
    private void insertAll(AtomicInteger next, int n, boolean[] copies) {
        SearchContext ctx = SearchContext.current(graph, graph.m0, graph.params.efConstruction());
        boolean[] misfits = codes == null ? null : codes.misfits();
        FloatScorer exact = new FloatScorer(graph.metric, graph.vectors);
        float[] decoded = new float[graph.dimension];
        for (int node = next.getAndIncrement(); node < n; node = next.getAndIncrement()) {
            if ((node & (INTERRUPT_CHECK - 1)) == 0 && Thread.currentThread().isInterrupted()) {
                // A cancelled Spark task (or a caller's interrupt) stops here, not when the graph is done (probe helper 86:
                // a cancelled build's tasks ran to the end and wrote their segments after the job had failed).
                throw new java.util.concurrent.CancellationException("graph build interrupted at node " + node + " of " + n);
            }
            if (copies != null && copies[node]) {
                continue;
            }
            // With codes, the new node is scored as its own decoded codes against the others' codes: the
            // distances equal code-to-code ones, through the same scorer that queries use. Rows the codes
            // misrepresent (misfits) are scored on their floats, as searches score them, from either side.
            NodeScorer scorer;
            if (codes == null) {
                scorer = exact.resetToNode(node);
            } else {
                if (misfits != null && misfits[node]) {
                    graph.vectors.copyRow(node, decoded, 0);
                } else {
                    codes.decode(node, decoded);
                }
                CodeQuery query = codes.query(decoded);
                // A node whose approximate distances could overflow is scored on its floats, as a search scores such a query.
                scorer = query.overflows() ? exact.resetToNode(node)
                        : misfits == null ? new CodeScorer(codes, query) : new CodeScorer(codes, query, misfits, exact.resetToNode(node));
            }
            insert(node, scorer, ctx);
        }
    }

    private static int[] codeHashes(QuantizedVectors codes, int n) {
        int[] hashes = new int[n];
        for (int row = 0; row < n; row++) {
            hashes[row] = codes.codeHash(row);
        }
        return hashes;
    }

    /** Distance between two nodes, on the same representation the scorers use. */
    private float between(int a, int b) {
        boolean[] misfits = codes == null ? null : codes.misfits();
        if (codes != null && (misfits == null || !misfits[a] && !misfits[b])) {
            return codes.distance(a, b);
        }
        FloatPages v = graph.vectors;
        return graph.metric.distance(v.page(a), v.offset(a), v.page(b), v.offset(b), graph.dimension);
    }

    private void insert(int node, NodeScorer scorer, SearchContext ctx) {
        HnswGraph g = graph;
        int level = g.levels[node];
        long entry = g.entry;
        boolean raisesTop = entry < 0 || level > (int) (entry >>> 32);
        if (raisesTop) {
            topLock.lock();
            entry = g.entry;
            if (entry < 0) {
                g.entry = ((long) level << 32) | node;
                topLock.unlock();
                return;
            }
            raisesTop = level > (int) (entry >>> 32);
            if (!raisesTop) {
                topLock.unlock();
            }
        }
        try {
            int topLevel = (int) (entry >>> 32);
            int start = (int) entry;
            long closest = GraphSearcher.descend(g, scorer, start, scorer.score(start), topLevel, level, ctx);
            int efc = g.params.efConstruction();
            int top = Math.min(level, topLevel);
            ctx.begin(efc);
            ctx.seed(ScoredNode.nodeOf(closest), ScoredNode.distanceOf(closest));
            for (int l = top; l >= 0; l--) {
                GraphSearcher.searchLayer(g, scorer, l, ctx);
                ctx.drainSorted();
                if (l > 0) {
                    ctx.keepLayerBeam(l);
                    // The whole beam of this layer seeds the next one; its distances are already known.
                    ctx.begin(efc);
                    for (int i = 0; i < ctx.sortedCount; i++) {
                        ctx.seed(ctx.sortedNodes[i], ctx.sortedDistances[i]);
                    }
                }
            }
            // Linked bottom up, as Lucene links: the reverse links make a node reachable on a layer, and by then its
            // lists below are linked. Linked top down, a node reachable on layer 1 had an empty layer-0 list for most
            // of its insert, and another insert whose descent ended on it started layer 0 from it alone and was
            // linked to it alone (review helper 59).
            connect(node, 0, ctx.sortedNodes, ctx.sortedDistances, ctx.sortedCount, ctx);
            for (int l = 1; l <= top; l++) {
                connect(node, l, ctx.layerBeamNodes[l], ctx.layerBeamDistances[l], ctx.layerBeamCounts[l], ctx);
            }
        } finally {
            if (raisesTop) {
                g.entry = ((long) level << 32) | node;
                topLock.unlock();
            }
        }
    }

    /**
     * Gives every layer-0 node that no search could reach from the entry node an in-link. Pruning can
     * remove the last link into a node (a few in 100,000 on sift-real); such a node could never be
     * returned. Each one is linked from the nearest reachable node with a free slot, looked for among its
     * own out-neighbours first and then among the nodes a search from the entry finds nearest to it.
     * Only when none has room does the nearest give up its farthest link. Repeats until all are reached, at most
     * eight rounds (degenerate graphs, such as one-dimensional data at M 2, can keep nodes out after that).
     * Copies of a vector ({@code copies}, null for none) are never linked: they are reached with the first node
     * of their chain, which is repaired like any other.
     */
    private void reconnectUnreachable(boolean[] copies) {
        HnswGraph g = graph;
        int[] links = new int[g.m0 + 1];
        int[] nearest = new int[g.params.efConstruction() + 1];
        for (int round = 0; round < 8; round++) {
            boolean[] reached = Reachability.fromEntry(g);
            int repaired = 0;
            for (int node = 0; node < g.size; node++) {
                if (reached[node] || copies != null && copies[node]) {
                    continue;
                }
                int target = nearestWithRoom(node, links, g.neighbours(0, node, links), reached);
                if (target < 0) {
                    int count = nearestReachable(node, nearest, reached);
                    target = nearestWithRoom(node, nearest, count, reached);
                    if (target < 0 && count > 0) {
                        target = nearest[0];
                    }
                }
                if (target >= 0) {
                    // reached[] is this round's walk: a target reached by a repair earlier in the round may already link
                    // to this node, which is then reached through it. Linked again, it held the node twice, a slot
                    // lost (probe helper 58: 9 lists of 50,000 on groups of near-copies).
                    if (!linksTo(target, node)) {
                        appendOrReplaceFarthest(target, node, between(node, target));
                        repaired++;
                    }
                    reached[node] = true;
                }
            }
            if (repaired == 0) {
                return;
            }
        }
    }

    /** Whether {@code from}'s layer-0 list holds {@code to}. */
    private boolean linksTo(int from, int to) {
        HnswGraph g = graph;
        int base = from * g.stride0;
        return contains(g.layer0, base + 1, g.layer0[base], to);
    }

    /** The reachable candidate nearest to {@code node} whose layer-0 list has a free slot, or -1. */
    private int nearestWithRoom(int node, int[] candidates, int count, boolean[] reached) {
        HnswGraph g = graph;
        int target = -1;
        float best = Float.POSITIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            int candidate = candidates[i];
            if (reached[candidate] && g.layer0[candidate * g.stride0] < g.m0) {
                float d = between(node, candidate);
                if (d < best) {
                    best = d;
                    target = candidate;
                }
            }
        }
        return target;
    }

    /** Up to {@code into.length} reachable nodes nearest to {@code node}, by a search from the entry node. */
    private int nearestReachable(int node, int[] into, boolean[] reached) {
        HnswGraph g = graph;
        SearchContext ctx = SearchContext.current(g, g.m0, g.params.efConstruction());
        NodeScorer scorer = new FloatScorer(g.metric, g.vectors).resetToNode(node);
        int entry = g.entryNode();
        long closest = GraphSearcher.descend(g, scorer, entry, scorer.score(entry), g.topLevel(), 0, ctx);
        ctx.begin(g.params.efConstruction());
        ctx.seed(ScoredNode.nodeOf(closest), ScoredNode.distanceOf(closest));
        GraphSearcher.searchLayer(g, scorer, 0, ctx);
        ctx.drainSorted();
        int count = 0;
        for (int i = 0; i < ctx.sortedCount && count < into.length; i++) {
            int candidate = ctx.sortedNodes[i];
            if (candidate != node && reached[candidate]) {
                into[count++] = candidate;
            }
        }
        return count;
    }

    /** Single-threaded, after the build: adds {@code node} to {@code target}'s layer-0 links. */
    private void appendOrReplaceFarthest(int target, int node, float distance) {
        HnswGraph g = graph;
        int base = target * g.stride0;
        int distanceBase = target * g.m0;
        int count = g.layer0[base];
        int slot = count;
        if (count == g.m0) {
            slot = 0;
            for (int i = 1; i < count; i++) {
                if (g.layer0Distances[distanceBase + i] > g.layer0Distances[distanceBase + slot]) {
                    slot = i;
                }
            }
        } else {
            g.layer0[base] = count + 1;
        }
        g.layer0[base + 1 + slot] = node;
        g.layer0Distances[distanceBase + slot] = distance;
    }

    /**
     * Links {@code node} on {@code level} to a diverse subset of that layer's beam, {@code beam[0..n)} closest first
     * with its {@code distances}, and each of them back.
     */
    private void connect(int node, int level, int[] beam, float[] distances, int n, SearchContext ctx) {
        int[] chosen = ctx.selectedNodes;
        float[] chosenDistances = ctx.selectedDistances;
        if (chosen.length < n) {
            chosen = ctx.selectedNodes = new int[n];
            chosenDistances = ctx.selectedDistances = new float[n];
        }
        // Never link to self. Linked top down, a concurrent insert could link to this node on a layer it had not
        // searched yet and lead its beam back to it; bottom up it cannot, and the check stays as a guard.
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (beam[i] != node) {
                chosen[kept] = beam[i];
                chosenDistances[kept++] = distances[i];
            }
        }
        int count = selectDiverse(chosen, chosenDistances, kept, graph.m);
        if (mergeLinks(level, node, chosen, chosenDistances, count, ctx) > 0) {
            mergedLists.incrementAndGet();
        }
        for (int i = 0; i < count; i++) {
            linkBack(level, chosen[i], node, chosenDistances[i], ctx);
        }
    }

    /**
     * The neighbour-selection heuristic: walking candidates closest first, keeps one only if it is closer
     * to the base node than to every candidate kept so far, which spreads links over directions. Compacts
     * the kept candidates to the front of the arrays (sorted by distance) and returns how many.
     *
     * <p>A candidate with the same int8 codes as one kept is dropped too. Codes cannot tell such rows apart
     * (vectors closer than a code step), and when the base node is one of them as well, "closer to the kept one
     * than to the base node" compares one rounding of the same distance with another: a group of more than 2M
     * such rows then filled every member's links with other members, a closed set that searches walking into
     * it could not leave at any ef (probe helper 36: 50,000 one-dimensional vectors, recall 0.43 at ef 30,000;
     * 30 groups of 60 near-copies among 10,000 vectors, their queries' true neighbours never found). One link
     * into such a group is enough; the others go to other directions.
     */
    private int selectDiverse(int[] nodes, float[] distances, int n, int max) {
        int kept = 0;
        for (int i = 0; i < n && kept < max; i++) {
            int candidate = nodes[i];
            float d = distances[i];
            boolean diverse = true;
            for (int j = 0; j < kept; j++) {
                if (between(candidate, nodes[j]) < d
                        || codeHashes != null && codeHashes[candidate] == codeHashes[nodes[j]] && codes.sameCodes(candidate, nodes[j])) {
                    diverse = false;
                    break;
                }
            }
            if (diverse) {
                nodes[kept] = candidate;
                distances[kept] = d;
                kept++;
            }
        }
        return kept;
    }

    /**
     * Merges {@code nodes[0..count)} (with their distances to {@code target}) into {@code target}'s list
     * on {@code level}, under {@code target}'s lock. A list is never replaced, only merged into: reverse links
     * from other threads arrive at any time, and a node's own list is guarded the same way should another thread
     * ever link to it first ({@link #mergedLists}). Ids already present are not added twice; a list that would
     * overflow keeps a diverse subset chosen by the heuristic.
     *
     * @return how many links the list held before
     */
    int mergeLinks(int level, int target, int[] nodes, float[] distances, int count, SearchContext ctx) {
        HnswGraph g = graph;
        int[] links;
        int base;
        float[] linkDistances;
        int distanceBase;
        int capacity;
        if (level == 0) {
            links = g.layer0;
            base = target * g.stride0;
            linkDistances = g.layer0Distances;
            distanceBase = target * g.m0;
            capacity = g.m0;
        } else {
            links = g.upper[target];
            base = (level - 1) * (1 + g.m);
            linkDistances = g.upperDistances[target];
            distanceBase = (level - 1) * g.m;
            capacity = g.m;
        }
        synchronized (g.lockFor(target)) {
            int existing = links[base];
            // New ids go after the existing ones; the list's own entries are packed only if it overflows
            // (most merges are one reverse link into a list with room).
            long[] packed = ctx.packed;
            int total = existing;
            for (int i = 0; i < count; i++) {
                if (!contains(links, base + 1, existing, nodes[i])) {
                    packed[total++] = ScoredNode.encode(distances[i], nodes[i]);
                }
            }
            if (total == existing) {
                return existing;
            }
            if (total <= capacity) {
                // Appending keeps the entries other threads may be reading in place; order does not matter.
                for (int i = existing; i < total; i++) {
                    links[base + 1 + i] = ScoredNode.nodeOf(packed[i]);
                    linkDistances[distanceBase + i] = ScoredNode.distanceOf(packed[i]);
                }
                HnswGraph.INTS.setRelease(links, base, total);
                return existing;
            }
            for (int i = 0; i < existing; i++) {
                packed[i] = ScoredNode.encode(linkDistances[distanceBase + i], links[base + 1 + i]);
            }
            Arrays.sort(packed, 0, total);
            int[] sortedNodes = ctx.batch;
            float[] sortedDistances = ctx.pruneDistances;
            for (int i = 0; i < total; i++) {
                sortedNodes[i] = ScoredNode.nodeOf(packed[i]);
                sortedDistances[i] = ScoredNode.distanceOf(packed[i]);
            }
            int kept = selectDiverse(sortedNodes, sortedDistances, total, capacity);
            System.arraycopy(sortedNodes, 0, links, base + 1, kept);
            System.arraycopy(sortedDistances, 0, linkDistances, distanceBase, kept);
            HnswGraph.INTS.setRelease(links, base, kept);
            return existing;
        }
    }

    private static boolean contains(int[] links, int from, int count, int node) {
        for (int i = 0; i < count; i++) {
            if (links[from + i] == node) {
                return true;
            }
        }
        return false;
    }

    /** Adds the reverse link {@code target -> node}; see {@link #mergeLinks}. */
    private void linkBack(int level, int target, int node, float distance, SearchContext ctx) {
        ctx.single[0] = node;
        ctx.singleDistance[0] = distance;
        mergeLinks(level, target, ctx.single, ctx.singleDistance, 1, ctx);
    }
}
