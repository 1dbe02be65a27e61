package io.hnswseg.hnsw;

/**
 * The beam of a layer search: the best {@code width} nodes found so far, kept sorted closest first in one
 * flat array of packed (distance, node) longs ({@link ScoredNode#encode}), each marked once it has been
 * expanded. It replaces the published algorithm's two heaps (candidates and results) with one structure:
 * a candidate that fell out of the results could never be expanded anyway (it is farther than the worst
 * result, which is where the heap version stops), so the candidates to expand are exactly the unexpanded
 * members of the beam, and the next one is the first of them. An insert moves the entries behind it one
 * slot back, walking from the end; that costs less than the three heap operations (candidate push, result
 * push, result pop) whose sift loops branch unpredictably at every level, and less than a binary search
 * (as unpredictable) followed by a {@code System.arraycopy} call: the walk has one loop branch, taken until
 * it stops. In a words-real build an insert moves 36 entries on average (44 in beams of more than 80), and
 * a deterministic one-thread build ran 1-10% faster than with the binary search.
 */
final class Beam {

    /** Set in a packed entry's node half once the node has been expanded (node numbers are non-negative). */
    private static final long EXPANDED = 1L << 31;

    private long[] entries = new long[64];
    private int size;
    private int width;
    /** Index of the first unexpanded entry, or {@link #size} when every entry has been expanded. */
    private int next;

    /** Empties the beam and sets how many entries it keeps. */
    void reset(int width) {
        if (entries.length < width + 1) {
            entries = new long[width + 1];
        }
        this.width = width;
        size = 0;
        next = 0;
    }

    int size() {
        return size;
    }

    /** The distance a node must beat to enter a full beam; infinite while the beam has room. */
    float worst() {
        return size < width ? Float.POSITIVE_INFINITY : ScoredNode.distanceOf(entries[size - 1]);
    }

    /**
     * Adds {@code node} unexpanded if the beam has room or it is closer than the worst entry (which then
     * leaves). Ties keep the lower node number first, as the heaps did.
     */
    void offer(float distance, int node) {
        long key = ScoredNode.encode(distance, node);
        long[] e = entries;
        int n = size;
        int i;
        if (n >= width) {
            if (key >= (e[n - 1] & ~EXPANDED)) {
                return;
            }
            i = n - 1;
        } else {
            i = n;
            size = n + 1;
        }
        while (i > 0 && (e[i - 1] & ~EXPANDED) > key) {
            e[i] = e[i - 1];
            i--;
        }
        e[i] = key;
        // An entry behind the cursor keeps it; one before it is now the closest unexpanded.
        if (i < next) {
            next = i;
        }
    }

    /** Marks the closest unexpanded entry expanded and returns its node, or -1 when none is left. */
    int expandNext() {
        int i = next;
        if (i >= size) {
            return -1;
        }
        long[] e = entries;
        e[i] |= EXPANDED;
        int n = size;
        int j = i + 1;
        while (j < n && (e[j] & EXPANDED) != 0) {
            j++;
        }
        next = j;
        return (int) (e[i] & 0x7fffffffL);
    }

    /** Node of the {@code i}-th closest entry. */
    int node(int i) {
        return (int) (entries[i] & 0x7fffffffL);
    }

    /** Distance of the {@code i}-th closest entry. */
    float distance(int i) {
        return ScoredNode.distanceOf(entries[i]);
    }
}
