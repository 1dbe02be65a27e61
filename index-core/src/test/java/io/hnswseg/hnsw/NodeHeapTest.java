package io.hnswseg.hnsw;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NodeHeapTest {

    @Test
    void packingPreservesFloatOrderIncludingNegatives() {
        float[] values = {-3.5f, -0f, 0f, 1e-30f, 2f, 1e30f, -1e30f, Float.MIN_VALUE};
        for (float a : values) {
            assertEquals(a, NodeHeap.distanceOf(NodeHeap.encode(a, 7)));
            assertEquals(7, NodeHeap.nodeOf(NodeHeap.encode(a, 7)));
            for (float b : values) {
                if (a < b) {
                    assertEquals(-1, Long.compare(NodeHeap.encode(a, 99), NodeHeap.encode(b, 1)), a + " < " + b);
                }
            }
        }
    }

    @Test
    void minAndMaxHeapsPopInOrder() {
        SplittableRandom random = new SplittableRandom(5);
        NodeHeap min = new NodeHeap(4, false);
        NodeHeap max = new NodeHeap(4, true);
        float[] values = new float[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 200 - 100);
            min.push(values[i], i);
            max.push(values[i], i);
        }
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(sorted[i], NodeHeap.distanceOf(min.pop()));
            assertEquals(sorted[sorted.length - 1 - i], NodeHeap.distanceOf(max.pop()));
        }
        assertEquals(0, min.size());
    }
}
