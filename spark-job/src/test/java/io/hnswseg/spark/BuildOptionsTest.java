package io.hnswseg.spark;

import io.hnswseg.routing.KMeansTrainer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BuildOptionsTest {

    @Test
    void aSampleSizeNearTheIntMaximumDrawsTheLargestSampleNotOneRow() {
        // Summed as ints with the recall queries, it wrapped negative: a one-row sample and one segment for everything.
        assertEquals(Sample.MAX_FLOATS, new BuildOptions().sampleSize(Integer.MAX_VALUE).evalQueries(1_000).sampleRows());
        assertEquals(101_000, new BuildOptions().sampleSize(100_000).evalQueries(1_000).sampleRows());
    }

    /** Refused before any work: more partitions than k-means trains were refused after k-means had run (47,000: 103 s). */
    @Test
    void kmeansPartitionsBeyondWhatItTrainsAreRefusedByName() {
        InvalidInputException many = assertThrows(InvalidInputException.class,
                () -> new BuildOptions().partitions(KMeansTrainer.MAX_CELLS + 1).validate());
        assertTrue(many.getMessage().contains("--partitions 46341: k-means routes at most 46340"), many.getMessage());
        new BuildOptions().partitions(KMeansTrainer.MAX_CELLS + 1).partitioner("random").validate();
    }
}
