package io.hnswseg.spark;

import io.hnswseg.hnsw.HnswGraphBuilder;
import org.apache.hadoop.conf.Configuration;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * The reduce side of a build: a shuffle partition is either a duplicate-id check (the first
 * {@link JobConfig#idCheckPartitions}, scheduled first so a table with repeated ids fails before any
 * segment is built) or one segment, whose blocks are gathered and copied once into the builder.
 */
final class BlockReducer {

    private BlockReducer() {
    }

    /** Partition number that marks the result of an id check, not a segment. */
    static final int ID_CHECK = -1;

    static SegmentResult run(JobConfig config, int shufflePartition, Iterator<Tuple2<Integer, VectorBlock>> blocks, Configuration hadoop,
                             Evaluation evaluation) {
        if (shufflePartition < config.idCheckPartitions) {
            return checkIds(config, blocks);
        }
        int partition = shufflePartition - config.idCheckPartitions;
        long start = System.nanoTime();
        List<VectorBlock> received = new ArrayList<>();
        long total = 0;
        long replicas = 0;
        long skipped = 0;
        while (blocks.hasNext()) {
            VectorBlock b = blocks.next()._2();
            received.add(b);
            total += b.count;
            replicas += b.replicas;
            skipped += b.skipped;
        }
        if (total > Integer.MAX_VALUE) {
            throw new InvalidInputException("partition " + partition + " received " + total + " vectors, more than one segment holds: "
                    + "use more partitions");
        }
        int dim = config.dimension;
        HnswGraphBuilder builder = new HnswGraphBuilder(dim, (int) total, config.params());
        for (int i = 0; i < received.size(); i++) {
            VectorBlock b = received.get(i);
            for (int r = 0; r < b.count; r++) {
                builder.add(b.ids[r], b.vectors, r * dim);
            }
            received.set(i, null); // copied: let it go before the next block is copied
        }
        return SegmentTask.buildAndWrite(config, builder, partition, replicas, skipped, System.nanoTime() - start, hadoop, evaluation);
    }

    /**
     * Sorts this share of the ids and fails, naming up to five, when any appears twice; else reports how many it saw
     * and their fingerprint, for the driver to compare with the sample's read of the input.
     */
    private static SegmentResult checkIds(JobConfig config, Iterator<Tuple2<Integer, VectorBlock>> blocks) {
        long[] ids = new long[1024];
        int n = 0;
        long fingerprint = 0;
        while (blocks.hasNext()) {
            VectorBlock b = blocks.next()._2();
            fingerprint += b.fingerprint;
            if (n + b.count > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(2 * ids.length, n + b.count));
            }
            System.arraycopy(b.ids, 0, ids, n, b.count);
            n += b.count;
        }
        Arrays.sort(ids, 0, n);
        List<String> repeated = new ArrayList<>();
        for (int i = 1; i < n && repeated.size() < 5; i++) {
            if (ids[i] == ids[i - 1] && (i < 2 || ids[i - 2] != ids[i])) {
                int j = i;
                while (j < n && ids[j] == ids[i]) {
                    j++;
                }
                repeated.add(ids[i] + " (" + (j - i + 1) + " rows)");
            }
        }
        if (!repeated.isEmpty()) {
            throw new InvalidInputException("column " + config.idColumn + " has duplicate ids: " + String.join(", ", repeated)
                    + "; ids must be unique");
        }
        SegmentResult seen = SegmentResult.empty(ID_CHECK, 0);
        seen.count = n;
        seen.rowFingerprint = fingerprint;
        return seen;
    }
}
