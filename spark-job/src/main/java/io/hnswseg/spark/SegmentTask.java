package io.hnswseg.spark;

import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.HnswGraphBuilder;
import io.hnswseg.segment.SegmentInfo;
import io.hnswseg.segment.SegmentWriter;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The executor side shared by every input format: builds the graph of a filled builder, streams the
 * segment to {@code <output>/segments/} under a name unique to this task attempt, and reports it.
 */
final class SegmentTask {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentTask.class);

    private SegmentTask() {
    }

    /** Segment file name of one task attempt; files of other attempts never collide with it. */
    static String segmentPath(JobConfig config, int partition, int attempt) {
        return String.format("segments/%s-part-%05d-attempt-%d.hseg", config.runId, partition, attempt);
    }

    static SegmentResult buildAndWrite(JobConfig config, HnswGraphBuilder builder, int partition, long skipped,
                                       long readNanos, Configuration hadoop) {
        TaskContext task = TaskContext.get();
        int attempt = task == null ? 0 : task.attemptNumber();
        if (builder.size() == 0) {
            LOG.info("partition {}: no vectors, no segment", partition);
            return SegmentResult.empty(partition, attempt, skipped);
        }
        long start = System.nanoTime();
        HnswGraph graph = builder.build(config.threadsPerTask);
        double buildSeconds = (System.nanoTime() - start) / 1e9;
        String relative = segmentPath(config, partition, attempt);
        Path file = new Path(new Path(config.output), relative);
        SegmentInfo info;
        try {
            FileSystem fs = IndexCommit.fileSystem(config.output, hadoop);
            try (FSDataOutputStream out = fs.create(file, true)) {
                info = SegmentWriter.write(graph, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("partition " + partition + ": cannot write segment " + file + ": " + e.getMessage(), e);
        }
        double seconds = (System.nanoTime() - start + readNanos) / 1e9;
        LOG.info(String.format("partition %d: %d vectors, read %.2f s, build %.2f s (%.0f vectors/s, %d threads), write %.2f s, %d bytes -> %s",
                partition, info.count(), readNanos / 1e9, buildSeconds, info.count() / buildSeconds, config.threadsPerTask,
                seconds - buildSeconds - readNanos / 1e9, info.bytes(), file));
        if (config.failFirstAttempts && attempt == 0) {
            throw new IllegalStateException("injected failure of the first attempt of partition " + partition + " (test hook)");
        }
        return new SegmentResult(partition, attempt, relative, info.count(), info.bytes(), info.crc32c(), seconds, skipped);
    }
}
