package io.hnswseg.eval;

import java.util.Arrays;

/** Per-query latencies in nanoseconds, summarised as mean and percentiles in milliseconds. */
public final class Latencies {

    private final long[] nanos;
    private int count;

    public Latencies(int capacity) {
        this.nanos = new long[capacity];
    }

    public void record(long elapsedNanos) {
        nanos[count++] = elapsedNanos;
    }

    public double meanMillis() {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += nanos[i];
        }
        return count == 0 ? 0 : sum / (double) count / 1e6;
    }

    /** The {@code p}-th percentile (0..100), nearest rank. */
    public double percentileMillis(double p) {
        if (count == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * count);
        return sorted[Math.max(0, Math.min(count - 1, rank - 1))] / 1e6;
    }
}
