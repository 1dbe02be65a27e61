package io.hnswseg.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.Serializable;
import java.util.Iterator;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Writes a task's search results as one Parquet file, straight from the result rows' primitive arrays.
 * Spark's own writer would do the same work through its SQL engine, whose first use in a fresh executor
 * JVM (planning, generated code, class loading, the JIT) cost 3-6 s of a 100,000-query self-join on two
 * cores (see docs/performance.md). The file is what Spark writes for {@code (id bigint, neighbors array<bigint>,
 * distances array<float>)}: the standard three-level lists, snappy pages, and Spark's schema in the footer,
 * so {@code spark.read().parquet(...)} gives back exactly that schema.
 */
final class ResultWriter {

    /** The file a task attempt wrote and how many rows it holds (a class, not a record: Kryo cannot make records). */
    static final class ResultFile implements Serializable {
        private static final long serialVersionUID = 1L;
        final String name;
        final long rows;

        ResultFile(String name, long rows) {
            this.name = name;
            this.rows = rows;
        }
    }

    /** The key under which Spark keeps a file's Catalyst schema in the Parquet footer. */
    private static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("neighbors", DataTypes.createArrayType(DataTypes.LongType, false), true)
            .add("distances", DataTypes.createArrayType(DataTypes.FloatType, false), true);
    private static final MessageType PARQUET_SCHEMA = Types.buildMessage()
            .required(PrimitiveTypeName.INT64).named("id")
            .addField(list(PrimitiveTypeName.INT64, "neighbors"))
            .addField(list(PrimitiveTypeName.FLOAT, "distances"))
            .named("spark_schema");

    private ResultWriter() {
    }

    private static org.apache.parquet.schema.Type list(PrimitiveTypeName element, String name) {
        return Types.optionalGroup().as(LogicalTypeAnnotation.listType())
                .repeatedGroup().required(element).named("element").named("list")
                .named(name);
    }

    /**
     * Writes {@code rows} to a new file in {@code dir} named by this task's partition and attempt (so that
     * no two attempts share a file); returns its name and row count. A failed attempt's file stays in
     * {@code dir}, which the driver deletes once it has moved out the files of the attempts Spark kept.
     * {@code testFault}: see {@link TestFaults}.
     */
    static ResultFile write(Iterator<NeighbourRow> rows, String dir, Map<String, String> hadoop, String testFault) throws IOException {
        TaskContext task = TaskContext.get();
        String name = String.format(java.util.Locale.ROOT, "part-%05d-a%d.snappy.parquet", task.partitionId(), task.taskAttemptId());
        Configuration conf = IndexBuild.conf(hadoop);
        long count = 0;
        try (ParquetWriter<NeighbourRow> writer = new Builder(new Path(dir, name), conf).build()) {
            while (rows.hasNext()) {
                writer.write(rows.next());
                TestFaults.afterResultRow(testFault, ++count);
            }
        }
        return new ResultFile(name, count);
    }

    private static final class Builder extends ParquetWriter.Builder<NeighbourRow, Builder> {

        Builder(Path path, Configuration conf) throws IOException {
            super(HadoopOutputFile.fromPath(path, conf));
            withConf(conf);
            withWriteMode(ParquetFileWriter.Mode.CREATE);
            withCompressionCodec(CompressionCodecName.SNAPPY);
            // Neighbour ids and distances hardly repeat: a dictionary would only cost time.
            withDictionaryEncoding(false);
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<NeighbourRow> getWriteSupport(Configuration conf) {
            return new RowWriteSupport();
        }
    }

    private static final class RowWriteSupport extends WriteSupport<NeighbourRow> {
        private RecordConsumer out;

        @Override
        public WriteContext init(Configuration configuration) {
            return new WriteContext(PARQUET_SCHEMA, Map.of(SPARK_SCHEMA_KEY, SCHEMA.json()));
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            out = recordConsumer;
        }

        @Override
        public void write(NeighbourRow row) {
            out.startMessage();
            out.startField("id", 0);
            out.addLong(row.getId());
            out.endField("id", 0);
            long[] ids = row.getNeighbors();
            writeList("neighbors", 1, ids.length, i -> out.addLong(ids[i]));
            float[] distances = row.getDistances();
            writeList("distances", 2, distances.length, i -> out.addFloat(distances[i]));
            out.endMessage();
        }

        /** A three-level list field: {@code name { list { element } }}, with {@code element} writing element i's value. */
        private void writeList(String name, int index, int size, IntConsumer element) {
            out.startField(name, index);
            out.startGroup();
            if (size > 0) {
                out.startField("list", 0);
                for (int i = 0; i < size; i++) {
                    out.startGroup();
                    out.startField("element", 0);
                    element.accept(i);
                    out.endField("element", 0);
                    out.endGroup();
                }
                out.endField("list", 0);
            }
            out.endGroup();
            out.endField(name, index);
        }
    }
}
