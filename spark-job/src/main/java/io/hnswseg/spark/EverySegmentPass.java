package io.hnswseg.spark;

import io.hnswseg.segment.MappedSegment;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The build's second recall pass, run only when no routed (nprobe, ef) point reached the target: each
 * written segment, one task each, searched for every evaluation query with the full beam, as a reader asked
 * for nprobe 0 searches. The routed grid stops at nprobe 8 and its reach rule passes over centroids much
 * farther than the nearest, so a target that only a search of every segment reaches (a high one, or data of
 * a few tight clumps that balancing split over sibling cells) would otherwise be reported unreachable and
 * the best routed point recommended. It costs {@code segments x |EFS|} full-beam searches per query (the
 * first pass searches at most the ten nearest segments, most with narrowed beams), which is why only a
 * missed target pays for it. The graphs are gone by then, so the tasks map the files just written, checking
 * each one's CRC32C; when the output is not a local path each task downloads its segment again, into the
 * executor's working directory, and deletes the copy after.
 */
final class EverySegmentPass {

    private EverySegmentPass() {
    }

    /** The second pass's partials, one per segment in {@code built}, for {@link Evaluation#merge(List, List, double, double, io.hnswseg.distance.Metric)}. */
    static List<Evaluation.Partial> run(JavaSparkContext jsc, Evaluation evaluation, JobConfig config, List<SegmentResult> built,
                                        Map<String, String> settings) {
        String output = config.outputRoot().toString();
        String fault = config.testFault;
        Broadcast<Evaluation> every = jsc.broadcast(evaluation.everySegment());
        List<scala.Tuple2<Integer, String>> segments = built.stream()
                .map(r -> new scala.Tuple2<>(r.partition, r.path)).collect(Collectors.toList());
        try {
            return jsc.parallelize(segments, segments.size())
                    .map(s -> search(every.value(), output, s._1(), s._2(), settings, fault))
                    .collect();
        } finally {
            every.destroy();
        }
    }

    private static Evaluation.Partial search(Evaluation every, String output, int partition, String relative,
                                             Map<String, String> settings, String fault) {
        Path file = new Path(new Path(output), relative);
        java.nio.file.Path local = null;
        try {
            TestFaults.beforeUnroutedRecall(fault, partition);
            FileSystem fs = IndexCommit.fileSystem(output, IndexBuild.conf(settings));
            java.nio.file.Path mapped;
            if ("file".equals(fs.getScheme())) {
                mapped = java.nio.file.Path.of(fs.makeQualified(file).toUri());
            } else {
                local = Files.createTempFile(java.nio.file.Path.of(SparkFiles.getRootDirectory()), "hnswseg-eval-", ".hseg");
                try (InputStream in = fs.open(file)) {
                    Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
                }
                mapped = local;
            }
            try (MappedSegment segment = MappedSegment.open(mapped)) {
                return every.evaluate(Evaluation.Searched.of(segment), partition);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("partition " + partition + ": cannot read back segment " + file + " to measure recall over "
                    + "every segment: " + e.getMessage(), e);
        } finally {
            if (local != null) {
                try {
                    Files.deleteIfExists(local);
                } catch (IOException e) {
                    // Spark removes the working directory with the executor; do not hide why the search failed.
                }
            }
        }
    }
}
