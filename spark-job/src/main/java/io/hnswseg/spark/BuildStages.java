package io.hnswseg.spark;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** A build's stages as its summary records them: each one's seconds, logged as it ends, and what the stages found. */
final class BuildStages {

    private static final Logger LOG = LoggerFactory.getLogger(BuildStages.class);

    private final Map<String, Object> stages = new LinkedHashMap<>();

    void put(String key, Object value) {
        stages.put(key, value);
    }

    /** The entries in the order the stages ran. */
    Map<String, Object> entries() {
        return stages;
    }

    /** Runs a stage, logs its time and keeps it for the summary as {@code <name>_seconds}. */
    <T> T timed(String name, IoSupplier<T> stage) throws IOException {
        long t = System.nanoTime();
        T value = stage.get();
        double seconds = (System.nanoTime() - t) / 1e9;
        stages.put(name + "_seconds", round(seconds));
        LOG.info(String.format("stage %s: %.2f s", name, seconds));
        return value;
    }

    @FunctionalInterface
    interface IoSupplier<T> {
        T get() throws IOException;
    }

    static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
