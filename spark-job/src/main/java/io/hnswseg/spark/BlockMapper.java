package io.hnswseg.spark;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.Vectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The map side of a build: reads a task's rows, checks each vector, sends it to its partition (or two,
 * when replicated) in {@link VectorBlock}s, and its id to a duplicate check when the ids are the caller's.
 * Lazy: blocks leave as they fill, so a task holds one open block per partition, not its whole input.
 */
final class BlockMapper implements Iterator<Tuple2<Integer, VectorBlock>> {

    private static final Logger LOG = LoggerFactory.getLogger(BlockMapper.class);

    private final RowSource rows;
    private final JobConfig config;
    private final Partitioning.Assigner assigner;
    private final Metric metric;
    private final int dim;
    private final VectorBlock[] open;
    private final VectorBlock[] openIds;
    private final ArrayDeque<Tuple2<Integer, VectorBlock>> ready = new ArrayDeque<>();
    private final int[] targets = new int[2];
    private final String what;
    private boolean done;
    private long read;
    private long sent;
    private long skippedHere;
    private final long start = System.nanoTime();

    /**
     * @param checkIds also send every id to a duplicate check (ids from a table; row numbers need none)
     */
    BlockMapper(RowSource rows, JobConfig config, Partitioning partitioning, boolean checkIds, String what) {
        this.rows = rows;
        this.config = config;
        this.assigner = partitioning.new Assigner();
        this.metric = config.metricValue();
        this.dim = config.dimension;
        this.open = new VectorBlock[config.partitions];
        this.openIds = checkIds ? new VectorBlock[config.idCheckPartitions] : null;
        this.what = what;
    }

    @Override
    public boolean hasNext() {
        try {
            while (ready.isEmpty() && !done) {
                if (!rows.next()) {
                    finish();
                } else {
                    take();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(config.input + ": " + what + ": " + e.getMessage(), e);
        }
        return !ready.isEmpty();
    }

    @Override
    public Tuple2<Integer, VectorBlock> next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.poll();
    }

    private void take() {
        read++;
        long id = rows.id();
        float[] v = rows.vector();
        // Every row's id, a skipped row's too: the check counts the rows of this read, for the driver to compare.
        if (openIds != null) {
            int p = Math.floorMod(Partitioning.mix(id ^ 0x5DEECE66DL), openIds.length);
            add(openIds, p, p, id, null, Sample.fingerprint(rows), false);
        }
        String problem = problem(rows, v, dim, metric);
        if (problem != null) {
            if (!config.skipInvalid) {
                throw new InvalidInputException(rows.describe() + ": " + problem);
            }
            noteSkipped(skippedHere++, what, rows, problem);
            return;
        }
        int n = assigner.assign(id, v, 0, targets);
        for (int i = 0; i < n; i++) {
            add(open, targets[i], config.idCheckPartitions + targets[i], id, v, 0, i > 0);
        }
    }

    /**
     * Names the first few rows a task skips ({@code --on-invalid skip}) in its log: the summary counts them, and a
     * count alone did not say that half a table was skipped because a file lacked the column (probe helper 34).
     */
    static void noteSkipped(long skippedBefore, String where, RowSource row, String problem) {
        if (skippedBefore < 3) {
            LOG.warn("{}: skipped {}: {}{}", where, row.describe(), problem, skippedBefore == 2 ? " (further skipped rows are counted, not named)" : "");
        }
    }

    /** Why a row cannot be indexed (its vector is missing, of another dimension, non-finite, ...), or null. */
    static String problem(RowSource row, float[] v, int dim, Metric metric) {
        if (row.problem() != null) {
            return row.problem();
        }
        if (row.length() != dim) {
            return "vector has dimension " + row.length() + ", expected " + dim;
        }
        try {
            Vectors.checkValid(v, 0, dim, metric, "vector");
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        return null;
    }

    /**
     * Appends a row to the open block of {@code slot}: its vector {@code v} ({@code replica} when it is the row's second
     * copy), or its {@code fingerprint} to an id-only block.
     */
    private void add(VectorBlock[] blocks, int slot, int target, long id, float[] v, long fingerprint, boolean replica) {
        VectorBlock b = blocks[slot];
        if (b == null) {
            b = blocks[slot] = new VectorBlock(dim, v != null);
        }
        if (v != null) {
            System.arraycopy(v, 0, b.vectors, b.count * dim, dim);
        }
        b.ids[b.count++] = id;
        b.fingerprint += fingerprint;
        b.replicas += replica ? 1 : 0;
        if (b.full()) {
            ready.add(new Tuple2<>(target, b));
            sent += v != null ? b.count : 0;
            blocks[slot] = null;
        }
    }

    private void finish() throws IOException {
        done = true;
        if (skippedHere > 0) {
            // Counted once per map output, through the shuffle: the first segment partition takes the count.
            VectorBlock count = new VectorBlock();
            count.ids = new long[0];
            count.skipped = skippedHere;
            ready.add(new Tuple2<>(config.idCheckPartitions, count));
        }
        flush(open, config.idCheckPartitions);
        if (openIds != null) {
            flush(openIds, 0);
        }
        rows.close();
        LOG.info(String.format("%s: read %d rows, skipped %d, sent %d vectors to %d partitions in %.2f s", what, read, skippedHere, sent,
                config.partitions, (System.nanoTime() - start) / 1e9));
    }

    private void flush(VectorBlock[] blocks, int targetBase) {
        for (int slot = 0; slot < blocks.length; slot++) {
            VectorBlock b = blocks[slot];
            if (b != null && b.count > 0) {
                ready.add(new Tuple2<>(targetBase + slot, b.trimmed(dim)));
                sent += b.vectors != null ? b.count : 0;
                blocks[slot] = null;
            }
        }
    }
}
