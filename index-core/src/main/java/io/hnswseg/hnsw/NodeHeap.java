package io.hnswseg.hnsw;

/**
 * A binary heap of (distance, node) pairs packed into one long each, so the heap is a flat primitive
 * array: no boxing and no comparator call. The high 32 bits hold the distance mapped to an int whose
 * signed order is the float order; the low 32 bits hold the node. A max-heap stores the bitwise
 * complement, which reverses the order of the packed longs.
 */
final class NodeHeap {

    private final boolean max;
    private long[] heap;
    private int size;

    NodeHeap(int initialCapacity, boolean max) {
        this.heap = new long[Math.max(16, initialCapacity)];
        this.max = max;
    }

    static long encode(float distance, int node) {
        int bits = Float.floatToRawIntBits(distance);
        int sortable = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) sortable << 32) | (node & 0xffffffffL);
    }

    static float distanceOf(long packed) {
        int sortable = (int) (packed >>> 32);
        return Float.intBitsToFloat(sortable ^ ((sortable >> 31) & 0x7fffffff));
    }

    static int nodeOf(long packed) {
        return (int) packed;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void clear() {
        size = 0;
    }

    void push(float distance, int node) {
        long key = encode(distance, node);
        if (max) {
            key = ~key;
        }
        if (size == heap.length) {
            heap = java.util.Arrays.copyOf(heap, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            long p = heap[parent];
            if (p <= key) {
                break;
            }
            heap[i] = p;
            i = parent;
        }
        heap[i] = key;
    }

    /** The top pair (closest for a min-heap, farthest for a max-heap), packed. */
    long peek() {
        return max ? ~heap[0] : heap[0];
    }

    float peekDistance() {
        return distanceOf(peek());
    }

    long pop() {
        long top = heap[0];
        long last = heap[--size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            long c = heap[child];
            int right = child + 1;
            if (right < size && heap[right] < c) {
                child = right;
                c = heap[right];
            }
            if (last <= c) {
                break;
            }
            heap[i] = c;
            i = child;
        }
        heap[i] = last;
        return max ? ~top : top;
    }
}
