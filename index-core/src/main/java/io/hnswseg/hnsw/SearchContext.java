package io.hnswseg.hnsw;

import java.util.Arrays;


/**
 * Per-thread search state, reused across searches and across graphs: the visited set, both heaps and
 * the buffers of neighbour lists. One context per thread (not per graph) keeps memory at threads x largest graph
 * when a reader fans out over many segments.
 */
final class SearchContext {

    private static final ThreadLocal<SearchContext> CURRENT = ThreadLocal.withInitial(SearchContext::new);

    /**
     * One bit per node, set by {@link #visit}. A bit set rather than the usual int stamp per node: a graph of
     * 100,000 nodes takes 12.5 KB, which stays in L1 beside the rows and links being scored, where 400 KB of
     * stamps competed with them for L2 (a build checks about 3,600 links per insert). It only grows, so it
     * fits the largest graph this thread has searched.
     */
    private long[] visited = new long[0];
    /**
     * The words of {@link #visited} set since the last {@link #begin}, which clears just those: the cost of
     * clearing follows the search, not the graph (a 10M-node segment's set is 1.25 MB).
     */
    private int[] touched = new int[0];
    private int touchedCount;

    /** The current layer search's best nodes, closest first; see {@link Beam}. */
    final Beam beam = new Beam();

    int[] neighbours = new int[0];
    int[] batch = new int[0];
    final float[] distances4 = new float[4];

    /** A re-rank's beam nodes and the lower bounds of their exact distances, closest first. */
    int[] rerankNodes = new int[0];
    float[] rerankBounds = new float[0];

    /** The last layer search's beam (closest first), copied by {@link #drainSorted()}. */
    int[] sortedNodes = new int[0];
    float[] sortedDistances = new float[0];
    int sortedCount;

    /**
     * An insert's beams of the layers above 0, by layer ({@link #keepLayerBeam}): the inserter searches every layer
     * before it links the node on any, then links it bottom up.
     */
    int[][] layerBeamNodes = new int[0][];
    float[][] layerBeamDistances = new float[0][];
    int[] layerBeamCounts = new int[0];

    /**
     * Rows scored since {@link GraphSearcher} last reset them: by the walk's scorer (int8 codes, or the floats
     * of a graph without codes) and by the re-rank's exact one. Counted per layer search, not per row.
     */
    long approximateRows;
    long exactRows;
    /** Bytes of vectors the last completed search on this thread scored; see {@link GraphSearcher#bytesScoredByLastSearch}. */
    long lastSearchBytes;

    /** Output of neighbour selection and scratch for pruning. */
    int[] selectedNodes = new int[0];
    float[] selectedDistances = new float[0];
    long[] packed = new long[0];
    float[] pruneDistances = new float[0];
    /** A one-link list, for reverse links. */
    final int[] single = new int[1];
    final float[] singleDistance = new float[1];

    /** This thread's context, whatever it last searched. */
    static SearchContext ofThisThread() {
        return CURRENT.get();
    }

    static SearchContext current(GraphView graph, int maxDegree, int ef) {
        SearchContext ctx = CURRENT.get();
        ctx.ensure(graph.size(), maxDegree, ef);
        return ctx;
    }

    private void ensure(int nodes, int maxDegree, int ef) {
        int words = (nodes + 63) >>> 6;
        if (visited.length < words) {
            // A new, empty set: this runs before a search begins, so no search's marks are lost.
            words = Math.max(words, visited.length + (visited.length >>> 1));
            long[] set = new long[words];
            // One slot more than there are words: unvisited() writes a word's slot before it knows whether to keep it.
            int[] marks = new int[words + 1];
            visited = set;
            touched = marks;
            touchedCount = 0;
        }
        if (neighbours.length < maxDegree + 4) {
            // Three spare slots for the searcher's padding of a list to a multiple of four.
            neighbours = new int[maxDegree + 4];
            selectedNodes = new int[maxDegree + 1];
            selectedDistances = new float[maxDegree + 1];
            // A merge holds a full list plus up to another list's worth of new links.
            batch = new int[2 * maxDegree + 4];
            packed = new long[2 * maxDegree + 1];
            pruneDistances = new float[2 * maxDegree + 1];
        }
        // Each pair allocated before either is kept: an OutOfMemoryError between the two would leave this
        // thread's context with arrays of two lengths, and every later search on the thread failing.
        if (sortedNodes.length < ef + 1) {
            int[] sorted = new int[ef + 1];
            float[] distances = new float[ef + 1];
            sortedNodes = sorted;
            sortedDistances = distances;
        }
        if (rerankNodes.length < ef + 1) {
            int[] rerank = new int[ef + 1];
            float[] bounds = new float[ef + 1];
            rerankNodes = rerank;
            rerankBounds = bounds;
        }
    }

    /** Starts a new layer search keeping the best {@code width} nodes: empties the beam and the visited set. */
    void begin(int width) {
        beam.reset(width);
        long[] bits = visited;
        int[] words = touched;
        for (int i = 0, n = touchedCount; i < n; i++) {
            bits[words[i]] = 0L;
        }
        touchedCount = 0;
    }

    /** Marks {@code node} visited; returns false if it already was in this search. */
    boolean visit(int node) {
        int word = node >>> 6;
        long bit = 1L << node;
        long bits = visited[word];
        if ((bits & bit) != 0) {
            return false;
        }
        if (bits == 0) {
            touched[touchedCount++] = word;
        }
        visited[word] = bits | bit;
        return true;
    }

    /**
     * Copies the nodes of {@code nodes[0..count)} not visited yet into {@code into} (in order) and marks them
     * visited; returns how many. Without a branch per node: whether a link was seen is a coin flip to the
     * branch predictor (a third to a half of a list is), and the mispredictions cost a layer-0 search 6-14% of
     * its time on sift-real. Each node is stored and the count advanced by its bit instead.
     */
    int unvisited(int[] nodes, int count, int[] into) {
        long[] bits = visited;
        int[] words = touched;
        int words0 = touchedCount;
        int fresh = 0;
        for (int i = 0; i < count; i++) {
            int node = nodes[i];
            int word = node >>> 6;
            long before = bits[word];
            into[fresh] = node;
            fresh += (int) (~before >>> node) & 1;
            words[words0] = word;
            words0 += before == 0 ? 1 : 0;
            bits[word] = before | (1L << node);
        }
        touchedCount = words0;
        return fresh;
    }

    void seed(int node, float distance) {
        if (visit(node)) {
            beam.offer(distance, node);
        }
    }

    /** Keeps a copy of {@link #sortedNodes}/{@link #sortedDistances} as layer {@code layer}'s beam. */
    void keepLayerBeam(int layer) {
        if (layerBeamCounts.length <= layer) {
            layerBeamNodes = Arrays.copyOf(layerBeamNodes, layer + 1);
            layerBeamDistances = Arrays.copyOf(layerBeamDistances, layer + 1);
            layerBeamCounts = Arrays.copyOf(layerBeamCounts, layer + 1);
        }
        int n = sortedCount;
        if (layerBeamNodes[layer] == null || layerBeamNodes[layer].length < n) {
            int[] nodes = new int[sortedNodes.length];
            float[] distances = new float[sortedNodes.length];
            layerBeamNodes[layer] = nodes;
            layerBeamDistances[layer] = distances;
        }
        System.arraycopy(sortedNodes, 0, layerBeamNodes[layer], 0, n);
        System.arraycopy(sortedDistances, 0, layerBeamDistances[layer], 0, n);
        layerBeamCounts[layer] = n;
    }

    /** Copies the beam into {@link #sortedNodes}/{@link #sortedDistances}, closest first. */
    void drainSorted() {
        int n = beam.size();
        if (sortedNodes.length < n) {
            sortedNodes = new int[n];
            sortedDistances = new float[n];
        }
        for (int i = 0; i < n; i++) {
            sortedNodes[i] = beam.node(i);
            sortedDistances[i] = beam.distance(i);
        }
        sortedCount = n;
    }
}
