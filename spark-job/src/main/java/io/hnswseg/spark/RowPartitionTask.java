package io.hnswseg.spark;

import io.hnswseg.hnsw.HnswGraphBuilder;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Builds the segment of one partition of a table with columns (id int64, vector array&lt;float&gt;); the
 * driver has already cast other vector types to that. Rows are gathered into one growing float array,
 * then copied once into the builder, whose capacity must be known up front.
 */
final class RowPartitionTask {

    private RowPartitionTask() {
    }

    static SegmentResult run(JobConfig config, int partition, Iterator<Row> rows, Configuration hadoop) {
        long start = System.nanoTime();
        int dim = config.dimension;
        float[] vectors = new float[dim * 1024];
        long[] ids = new long[1024];
        int n = 0;
        long skipped = 0;
        while (rows.hasNext()) {
            Row row = rows.next();
            if (row.isNullAt(0)) {
                throw new InvalidInputException("a row of partition " + partition + " has a null id (column " + config.idColumn + ")");
            }
            long id = row.getLong(0);
            String problem = null;
            List<Object> vector = row.isNullAt(1) ? null : row.getList(1);
            if (vector == null) {
                problem = "vector is null";
            } else if (vector.isEmpty()) {
                problem = "vector is empty";
            } else if (vector.size() != dim) {
                problem = "vector has dimension " + vector.size() + ", expected " + dim;
            }
            if (problem == null && n == ids.length) {
                ids = Arrays.copyOf(ids, 2 * n);
                vectors = Arrays.copyOf(vectors, 2 * n * dim);
            }
            for (int i = 0; problem == null && i < dim; i++) {
                Object x = vector.get(i);
                if (x == null) {
                    problem = "vector has a null at component " + i;
                } else {
                    vectors[n * dim + i] = (Float) x;
                }
            }
            if (problem != null) {
                if (!config.skipInvalid) {
                    throw new InvalidInputException("row id " + id + " (column " + config.vectorColumn + "): " + problem);
                }
                skipped++;
                continue;
            }
            ids[n++] = id;
        }
        HnswGraphBuilder builder = new HnswGraphBuilder(dim, n, config.params());
        for (int i = 0; i < n; i++) {
            try {
                builder.add(ids[i], vectors, i * dim);
            } catch (IllegalArgumentException e) {
                if (!config.skipInvalid) {
                    throw new InvalidInputException("row id " + ids[i] + " (column " + config.vectorColumn + "): " + e.getMessage());
                }
                skipped++;
            }
        }
        return SegmentTask.buildAndWrite(config, builder, partition, skipped, System.nanoTime() - start, hadoop);
    }
}
