package io.hnswseg.routing;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ProbeBeamsTest {

    @Test
    void theBeamHalvesWithEachRankDownToK() {
        assertEquals(64, ProbeBeams.ef(64, 10, 0));
        assertEquals(32, ProbeBeams.ef(64, 10, 1));
        assertEquals(16, ProbeBeams.ef(64, 10, 2));
        assertEquals(10, ProbeBeams.ef(64, 10, 3));
        assertEquals(10, ProbeBeams.ef(64, 10, 31));
        assertEquals(10, ProbeBeams.ef(Integer.MAX_VALUE, 10, 40));
        // ef == k stays k at every rank.
        assertEquals(10, ProbeBeams.ef(10, 10, 0));
        assertEquals(10, ProbeBeams.ef(10, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> ProbeBeams.ef(64, 10, -1));
    }
}
