package io.hnswseg.spark;

import io.hnswseg.hnsw.HnswGraphBuilder;
import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Builds the segment of rows {@code [first, first + count)} of an fvecs/bvecs file without a shuffle (the
 * random partitioner): the task seeks to its rows and reads them straight into the builder's contiguous
 * storage, one reused buffer, no object per row.
 */
final class VecsPartitionTask {

    private VecsPartitionTask() {
    }

    static SegmentResult run(JobConfig config, VecsInput input, int partition, long first, long count, Configuration hadoop,
                             Evaluation evaluation) {
        HnswGraphBuilder builder = new HnswGraphBuilder(config.dimension, Math.toIntExact(count), config.params());
        long start = System.nanoTime();
        long skipped = 0;
        try (RowSource rows = input.rows(first, count, hadoop)) {
            while (rows.next()) {
                String problem = BlockMapper.problem(rows, rows.vector(), config.dimension, config.metricValue());
                if (problem != null) {
                    if (!config.skipInvalid) {
                        throw new InvalidInputException(rows.describe() + ": " + problem);
                    }
                    BlockMapper.noteSkipped(skipped++, "partition " + partition, rows, problem);
                    continue;
                }
                builder.add(rows.id(), rows.vector(), 0);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(config.input + ": partition " + partition + " (rows " + first + ".." + (first + count - 1)
                    + "): " + e.getMessage(), e);
        }
        return SegmentTask.buildAndWrite(config, builder, partition, 0, skipped, System.nanoTime() - start, hadoop, evaluation);
    }
}
