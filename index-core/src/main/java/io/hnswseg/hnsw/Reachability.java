package io.hnswseg.hnsw;

/**
 * Which nodes a walk over layer-0 links can reach from the entry node. A search enters layer 0 where its
 * descent through the upper layers ends, not at the entry node, so this is a proxy: a node outside the set is
 * one the graph's links lead to from nowhere near the top, which the builder repairs and the benchmark counts,
 * and a node inside it may still be out of a given search's way (links are directed).
 */
public final class Reachability {

    private Reachability() {
    }

    /** {@code reached[node]}: whether a breadth-first walk over layer-0 links from the entry node gets there. */
    public static boolean[] fromEntry(GraphView graph) {
        int n = graph.size();
        boolean[] reached = new boolean[n];
        if (n == 0) {
            return reached;
        }
        int[] queue = new int[n];
        int[] links = new int[2 * graph.m() + 1];
        int head = 0;
        int tail = 0;
        int entry = graph.entryNode();
        reached[entry] = true;
        queue[tail++] = entry;
        while (head < tail) {
            int count = graph.neighbours(0, queue[head++], links);
            for (int i = 0; i < count; i++) {
                if (!reached[links[i]]) {
                    reached[links[i]] = true;
                    queue[tail++] = links[i];
                }
            }
        }
        // A copy of a vector has no links: it is returned with the chain's first node, so reached with it.
        for (int node = 0; node < n; node++) {
            int copy = graph.nextCopy(node);
            if (copy >= 0 && reached[node]) {
                reached[copy] = true;
            }
        }
        return reached;
    }

    /** How many nodes {@link #fromEntry} does not reach (0 for a sound graph). */
    public static int unreachable(GraphView graph) {
        int count = 0;
        for (boolean r : fromEntry(graph)) {
            count += r ? 0 : 1;
        }
        return count;
    }
}
