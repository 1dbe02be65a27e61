package io.hnswseg.spark;

import io.hnswseg.hnsw.HnswGraph;
import io.hnswseg.hnsw.HnswGraphBuilder;
import io.hnswseg.segment.MappedSegment;
import io.hnswseg.segment.SegmentInfo;
import io.hnswseg.segment.SegmentWriter;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The executor side shared by every input: builds the graph of a filled builder, measures its part of
 * the recall, streams the segment to {@code <output>/segments/} under a name unique to this task attempt,
 * and reports it.
 */
final class SegmentTask {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentTask.class);

    private SegmentTask() {
    }

    /**
     * Segment file name of one task attempt. Spark's task attempt id is unique within the application, also
     * when a whole stage is retried (where attempt numbers start again at 0), so two attempts never write
     * the same file.
     */
    static String segmentPath(JobConfig config, int partition, long taskAttemptId) {
        // Locale.ROOT: under ar or th the digits came out in their script, a name a reader in the C locale could not open
        // (probe helper 89).
        return String.format(java.util.Locale.ROOT, "segments/%s-part-%05d-task-%d.hseg", config.runId, partition, taskAttemptId);
    }

    static SegmentResult buildAndWrite(JobConfig config, HnswGraphBuilder builder, int partition, long replicas, long skipped, long readNanos,
                                       Configuration hadoop, Evaluation evaluation) {
        TaskContext task = TaskContext.get();
        long attempt = task == null ? 0 : task.taskAttemptId();
        if (builder.size() == 0) {
            LOG.info("partition {}: no vectors, no segment", partition);
            return SegmentResult.empty(partition, skipped);
        }
        long start = System.nanoTime();
        HnswGraph graph = builder.build(config.threadsPerTask);
        double buildSeconds = (System.nanoTime() - start) / 1e9;
        long evalStart = System.nanoTime();
        Evaluation.Partial partial = evaluation == null ? null : evaluation.evaluate(graph, partition);
        double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
        if (task != null) {
            // A killed task (its job failed or was cancelled) writes no segment after the driver has cleaned up (probe helper 86).
            task.killTaskIfInterrupted();
        }
        String relative = segmentPath(config, partition, attempt);
        Path file = new Path(config.outputRoot(), relative);
        long writeStart = System.nanoTime();
        SegmentInfo info;
        double readBackSeconds;
        try {
            FileSystem fs = IndexCommit.fileSystem(config.output, hadoop);
            // Never overwrite: a file already there belongs to another attempt.
            SegmentInfo[] written = new SegmentInfo[1];
            HadoopWrites.create(fs, file, false, out -> written[0] = SegmentWriter.write(graph, TestFaults.segmentStream(config, partition, out),
                    config.centroidCrc32c(partition), config.centroidBias(partition)));
            info = written[0];
            readBackSeconds = readBack(fs, file, info);
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage());
            throw new UncheckedIOException("partition " + partition + ": cannot write its segment"
                    + (message.contains(file.toString()) ? "" : " " + file) + ": " + message, e);
        }
        double writeSeconds = (System.nanoTime() - writeStart) / 1e9;
        double seconds = readNanos / 1e9 + buildSeconds + evalSeconds + writeSeconds;
        LOG.info(String.format("partition %d: %d vectors; read %.2f s, built %.2f s (%.0f vectors/s, %d thread%s, %s), "
                        + "recall measured %.2f s, wrote %d bytes in %.2f s%s -> %s",
                partition, info.count(), readNanos / 1e9, buildSeconds, info.count() / buildSeconds, config.threadsPerTask,
                config.threadsPerTask == 1 ? "" : "s", graph.scoring(), evalSeconds, info.bytes(), writeSeconds,
                readBackSeconds > 0 ? String.format(" (%.2f s of it reading it back to check it)", readBackSeconds) : "", file));
        if (config.failFirstAttempts && task != null && task.attemptNumber() == 0) {
            throw new IllegalStateException("injected failure of the first attempt of partition " + partition + " (test hook)");
        }
        SegmentResult r = new SegmentResult();
        r.partition = partition;
        r.path = relative;
        r.count = info.count();
        r.bytes = info.bytes();
        r.crc32c = info.crc32c();
        r.seconds = seconds;
        r.replicas = replicas;
        r.skipped = skipped;
        for (int node = 0; node < graph.size(); node++) {
            r.copies += graph.nextCopy(node) >= 0 ? 1 : 0;
        }
        r.scoring = graph.scoring();
        r.evaluation = partial;
        return r;
    }

    /**
     * Reads a segment back from an object store and checks it holds what was written ({@link HadoopWrites#needsReadBack}):
     * the build committed an index no reader could open (probe helper 94). A mismatch fails the task, whose retry writes
     * the segment anew.
     *
     * @return the seconds it took, 0 where the store needs no reading back
     */
    private static double readBack(FileSystem fs, Path file, SegmentInfo written) throws IOException {
        if (!HadoopWrites.needsReadBack(fs)) {
            return 0;
        }
        long start = System.nanoTime();
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        byte[] footer = new byte[8];
        long read = 0;
        long covered = written.bytes() - footer.length;
        try (java.io.InputStream in = fs.open(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                int counted = (int) Math.max(0, Math.min(n, covered - read));
                crc.update(buffer, 0, counted);
                // The footer too: a store that changed the stored CRC or the magic failed every reader as well.
                for (int i = counted; i < n && read + i - covered < footer.length; i++) {
                    footer[(int) (read + i - covered)] = buffer[i];
                }
                read += n;
            }
        }
        if (read != written.bytes() || crc.getValue() != written.crc32c() || !java.util.Arrays.equals(footer, written.footer())) {
            throw new IOException(file + ": the store holds " + read + " bytes of CRC32C " + MappedSegment.hex(crc.getValue())
                    + (java.util.Arrays.equals(footer, written.footer()) ? "" : " and another footer") + " where " + written.bytes()
                    + " bytes of CRC32C " + MappedSegment.hex(written.crc32c()) + " were written");
        }
        return (System.nanoTime() - start) / 1e9;
    }
}
