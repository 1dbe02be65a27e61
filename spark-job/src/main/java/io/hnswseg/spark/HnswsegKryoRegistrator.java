package io.hnswseg.spark;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;

/** Registers the job's own types with Kryo (the job runs with {@code spark.kryo.registrationRequired=true} in tests). */
public final class HnswsegKryoRegistrator implements KryoRegistrator {

    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(JobConfig.class);
        kryo.register(SegmentResult.class);
        kryo.register(SegmentResult[].class);
        kryo.register(ResultWriter.ResultFile.class);
        kryo.register(ResultWriter.ResultFile[].class);
        kryo.register(VectorBlock.class);
        kryo.register(Partitioning.class);
        kryo.register(Evaluation.class);
        kryo.register(Evaluation.Partial.class);
        kryo.register(Sample.Part.class);
        kryo.register(Sample.Part[].class);
        kryo.register(IndexSearch.Query.class);
        kryo.register(IndexSearch.Query[].class);
        kryo.register(NeighbourRow.class);
        kryo.register(long[].class);
        kryo.register(long[][].class);
        kryo.register(int[].class);
        kryo.register(int[][].class);
        kryo.register(float[].class);
        kryo.register(float[][].class);
        kryo.register(Object[].class);
        // Schema and row types that Spark SQL ships between tasks when a table is built from local rows or
        // carries a Spark ML vector column; Spark registers its UnsafeRow family itself, not these.
        for (String name : SQL_CLASSES) {
            try {
                kryo.register(Class.forName(name, false, Thread.currentThread().getContextClassLoader()));
            } catch (ClassNotFoundException e) {
                // Not on this classpath (e.g. Spark ML absent): nothing to register.
            }
        }
    }

    private static final String[] SQL_CLASSES = {
            "org.apache.spark.sql.types.ArrayType",
            "org.apache.spark.sql.types.StructType",
            "org.apache.spark.sql.types.StructField",
            "[Lorg.apache.spark.sql.types.StructField;",
            "org.apache.spark.sql.types.Metadata",
            "org.apache.spark.sql.types.FloatType$",
            "org.apache.spark.sql.types.DoubleType$",
            "org.apache.spark.sql.types.LongType$",
            "org.apache.spark.sql.types.IntegerType$",
            "org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema",
            "org.apache.spark.sql.catalyst.expressions.GenericInternalRow",
            "org.apache.spark.sql.catalyst.util.GenericArrayData",
            "org.apache.spark.ml.linalg.VectorUDT",
            "org.apache.spark.ml.linalg.DenseVector",
            "org.apache.spark.ml.linalg.SparseVector",
    };
}
