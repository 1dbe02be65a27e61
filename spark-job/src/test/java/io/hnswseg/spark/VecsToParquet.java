package io.hnswseg.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Writes an fvecs/bvecs file as a Parquet table {@code (id bigint, embedding array<float>)} in a given
 * number of files, ids = row numbers: the tables behind docs/performance.md's Parquet figures. Run by hand
 * (see docs/performance.md), not a test.
 */
public final class VecsToParquet {

    private VecsToParquet() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: VecsToParquet INPUT.fvecs|.bvecs OUTPUT_DIR FILES");
            System.exit(2);
        }
        String input = args[0];
        String output = args[1];
        int files = Integer.parseInt(args[2]);
        SparkSession spark = JobFixtures.session("local[2]").config("spark.kryo.registrationRequired", "false").getOrCreate();
        try {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            VecsInput vecs = VecsInput.open(input, IndexBuild.inferFormat(input), jsc.hadoopConfiguration(), "input");
            long rows = vecs.rows;
            StructType schema = new StructType().add("id", DataTypes.LongType, false)
                    .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);
            var rdd = jsc.parallelize(IntStream.range(0, files).boxed().collect(Collectors.toList()), files).mapPartitions(it -> {
                int file = it.next();
                long first = rows * file / files;
                long last = rows * (file + 1) / files;
                List<Row> out = new ArrayList<>();
                try (RowSource source = vecs.rows(first, last - first, new org.apache.hadoop.conf.Configuration())) {
                    while (source.next()) {
                        out.add(RowFactory.create(source.id(), source.vector().clone()));
                    }
                }
                return out.iterator();
            });
            spark.createDataFrame(rdd, schema).write().parquet(output);
            System.out.println("wrote " + rows + " rows of dimension " + vecs.dimension + " to " + output + " in " + files + " files");
        } finally {
            spark.stop();
        }
    }
}
