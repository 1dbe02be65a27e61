package io.hnswseg.hnsw;

import io.hnswseg.distance.FloatPages;
import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;

import java.util.Arrays;

/**
 * Exact duplicates among a graph's vectors, which the graph indexes once. Left as nodes of their own, the
 * copies of one vector link to each other first (at distance 0 every copy passes the neighbour heuristic),
 * and a beam that meets them fills with one point: on 5,000 Gaussian vectors plus 2,000 copies of one,
 * recall@10 fell from 0.98 to 0.52 at ef 50. So only the first node of a vector joins the graph; the others
 * follow it in a chain, have no links, and are returned right after it with its distance.
 *
 * <p>A chain runs in increasing node order (each copy's successor has a larger node number), which is what
 * a reader checks to know that following one ends. The Spark job also uses it on its input sample, to find the
 * vectors repeated so often that their copies must be spread over several segments.
 */
public final class Copies {

    private Copies() {
    }

    /**
     * {@link #chains(FloatPages, int, int)} of rows {@code 0..n-1} of row-major {@code rows}, compared as an index
     * of {@code metric} stores them ({@link Vectors#asStored}: under cosine, v and 2v are copies). The rows are
     * left as they are (a metric that normalises compares a normalised copy of them).
     */
    public static int[] chains(float[] rows, int n, int dimension, Metric metric) {
        float[] stored = rows;
        if (metric.normalizes()) {
            stored = Arrays.copyOf(rows, n * dimension);
            for (int r = 0; r < n; r++) {
                Vectors.asStored(stored, r * dimension, dimension, metric);
            }
        }
        return chains(FloatPages.wrap(stored, dimension), n, dimension);
    }

    /**
     * {@code next[node]}: the next node (always a larger one) holding the same vector as {@code node}, -1 at
     * a chain's end; null when no two of the first {@code n} rows are equal. Rows are compared with
     * {@code ==}, so 0 and -0 are equal, as they are to every distance.
     */
    public static int[] chains(FloatPages vectors, int n, int dimension) {
        int slots = Integer.highestOneBit(Math.max(2, 2 * n - 1)) << 1;
        int mask = slots - 1;
        // Each slot holds 1 + the last node seen of its vector, so a copy is appended to its chain's end.
        int[] last = new int[slots];
        int[] next = null;
        for (int node = 0; node < n; node++) {
            float[] page = vectors.page(node);
            int at = vectors.offset(node);
            int slot = rowHash(page, at, dimension) & mask;
            while (true) {
                int held = last[slot] - 1;
                if (held < 0) {
                    last[slot] = node + 1;
                    break;
                }
                if (sameRow(page, at, vectors.page(held), vectors.offset(held), dimension)) {
                    if (next == null) {
                        next = new int[n];
                        Arrays.fill(next, -1);
                    }
                    next[held] = node;
                    last[slot] = node + 1;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        return next;
    }

    /** The nodes of {@code graph} that are not copies (each vector's first node), in increasing order; null when none is a copy. */
    static int[] firstNodes(GraphView graph) {
        int distinct = graph.distinctCount();
        if (distinct == graph.size()) {
            return null;
        }
        boolean[] copy = new boolean[graph.size()];
        for (int node = 0; node < graph.size(); node++) {
            int next = graph.nextCopy(node);
            if (next >= 0) {
                copy[next] = true;
            }
        }
        int[] firsts = new int[distinct];
        int n = 0;
        for (int node = 0; node < graph.size(); node++) {
            if (!copy[node]) {
                firsts[n++] = node;
            }
        }
        return firsts;
    }

    /**
     * For each of {@code rows}, the first node of {@code graph} holding it as the graph stores it (under cosine,
     * normalised), or -1: the node to pass to {@link GraphSearcher#searchWithout} to search as if the row and
     * all its copies were not in the graph. One pass over the graph's vectors.
     */
    public static int[] nodesHolding(GraphView graph, float[][] rows) {
        int dimension = graph.dimension();
        java.util.Map<Integer, java.util.List<Integer>> byHash = new java.util.HashMap<>();
        float[][] stored = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            Vectors.checkDimension(rows[i].length, dimension, "row " + i);
            stored[i] = rows[i].clone();
            Vectors.asStored(stored[i], 0, dimension, graph.metric());
            byHash.computeIfAbsent(rowHash(stored[i], 0, dimension), h -> new java.util.ArrayList<>()).add(i);
        }
        int[] nodes = new int[rows.length];
        Arrays.fill(nodes, -1);
        float[] vector = new float[dimension];
        for (int node = 0; node < graph.size(); node++) {
            graph.copyVector(node, vector, 0);
            java.util.List<Integer> candidates = byHash.get(rowHash(vector, 0, dimension));
            if (candidates == null) {
                continue;
            }
            for (int i : candidates) {
                // Nodes come in increasing order, so the first match is the vector's first node.
                if (nodes[i] < 0 && sameRow(stored[i], 0, vector, 0, dimension)) {
                    nodes[i] = node;
                }
            }
        }
        return nodes;
    }

    /** Whether each node is a copy (in a chain, after its first node); null for {@code next == null}. */
    public static boolean[] copies(int[] next) {
        if (next == null) {
            return null;
        }
        boolean[] copy = new boolean[next.length];
        for (int following : next) {
            if (following >= 0) {
                copy[following] = true;
            }
        }
        return copy;
    }

    /** A hash of a row under which equal rows (0 and -0 alike) collide, well spread for whole-number components too. */
    public static int rowHash(float[] row, int at, int dimension) {
        // Whole-number components (bvecs input) have all-zero low mantissa bits, so each component is multiplied
        // in (carrying its bits upward) and the sum is mixed at the end (MurmurHash3's finaliser), or the table's
        // slot, its low bits, would take only about 65,536 values however many rows there are.
        long h = 0;
        for (int i = 0; i < dimension; i++) {
            // + 0.0f turns -0 into 0, which compares equal to it.
            h = (h + Float.floatToRawIntBits(row[at + i] + 0.0f)) * 0x9E3779B97F4A7C15L;
        }
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) h;
    }

    /** Whether two rows are copies: equal component by component ({@code ==}, so 0 and -0 alike). */
    public static boolean sameRow(float[] a, int aAt, float[] b, int bAt, int dimension) {
        for (int i = 0; i < dimension; i++) {
            if (a[aAt + i] != b[bAt + i]) {
                return false;
            }
        }
        return true;
    }
}
