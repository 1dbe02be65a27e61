package io.hnswseg.distance;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Which rows {@link Quantizer#misfits} has searches score on their floats. */
class MisfitsTest {

    @Test
    void onlyRareRowsFarAboveTheMedianErrorAndOnlyForIp() {
        float[] errors = new float[1_000];
        Arrays.fill(errors, 0.5f);
        errors[17] = 300;
        errors[900] = 4.1f; // just above 8x the median
        boolean[] expected = new boolean[1_000];
        expected[17] = true;
        expected[900] = true;
        assertArrayEquals(expected, Quantizer.misfits(Metric.IP, errors));
        assertNull(Quantizer.misfits(Metric.L2, errors));
        assertNull(Quantizer.misfits(Metric.COSINE, errors));
        errors[17] = 3.9f;
        errors[900] = 0.5f;
        assertNull(Quantizer.misfits(Metric.IP, errors), "none above 8x the median");
    }

    @Test
    void aSpreadOfErrorsIsNoOutlier() {
        // Most rows coded exactly (a median near 0): the ordinary errors of the rest are not outliers.
        float[] errors = new float[1_000];
        Arrays.fill(errors, Math.nextUp(0f));
        for (int row = 0; row < 1_000; row += 10) {
            errors[row] = 0.25f;
        }
        assertNull(Quantizer.misfits(Metric.IP, errors));
    }
}
