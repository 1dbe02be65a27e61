package io.hnswseg.spark;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BuildOptionsTest {

    @Test
    void aSampleSizeNearTheIntMaximumDrawsTheLargestSampleNotOneRow() {
        // Summed as ints with the recall queries, it wrapped negative: a one-row sample and one segment for everything.
        assertEquals(Sample.MAX_FLOATS, new BuildOptions().sampleSize(Integer.MAX_VALUE).evalQueries(1_000).sampleRows());
        assertEquals(101_000, new BuildOptions().sampleSize(100_000).evalQueries(1_000).sampleRows());
    }
}
