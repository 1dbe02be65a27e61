package io.hnswseg.hnsw;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ScoredNodeTest {

    @Test
    void packingPreservesFloatOrderIncludingNegativesAndPutsEveryNaNLast() {
        float[] values = {-3.5f, -0f, 0f, 1e-30f, 2f, 1e30f, -1e30f, Float.MIN_VALUE, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (float a : values) {
            assertEquals(a, ScoredNode.distanceOf(ScoredNode.encode(a, 7)));
            assertEquals(7, ScoredNode.nodeOf(ScoredNode.encode(a, 7)));
            for (float b : values) {
                if (a < b) {
                    assertEquals(-1, Long.compare(ScoredNode.encode(a, 99), ScoredNode.encode(b, 1)), a + " < " + b);
                }
            }
            for (int nan : new int[]{0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001}) {
                assertEquals(-1, Long.compare(ScoredNode.encode(a, 99), ScoredNode.encode(Float.intBitsToFloat(nan), 1)),
                        a + " < NaN " + Integer.toHexString(nan));
            }
        }
    }
}
