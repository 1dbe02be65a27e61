package io.hnswseg.hnsw;

/**
 * A (distance, node) pair packed into one long, so that beams and link lists sort flat primitive arrays: no
 * boxing and no comparator call. The high 32 bits hold the distance mapped to an int whose signed order is the
 * float order; the low 32 bits hold the node. Longs compare by distance, then node.
 */
final class ScoredNode {

    private ScoredNode() {
    }

    /**
     * The packed pair. Every NaN is taken as the one positive NaN, above +Inf: with its sign bit set a NaN sorted
     * below every real distance, and a vector corrupted to one (in a segment opened unverified) answered first
     * (review helper 59).
     */
    static long encode(float distance, int node) {
        int bits = Float.floatToIntBits(distance);
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
}
