package io.hnswseg.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

import java.util.Iterator;

import static org.apache.spark.sql.functions.col;

/**
 * A table of (id, vector) rows, from Parquet or any {@code Dataset<Row>}: the id column cast to bigint,
 * the vector column to {@code array<float>} (from {@code array<double>} or a Spark ML vector) in Spark
 * SQL, then read as Spark's internal rows, where an array's floats come out as one primitive array copy:
 * no {@code Row} object and no boxed {@code Float} per component.
 */
final class TableInput {

    final Dataset<Row> table;
    final String idColumn;
    final String vectorColumn;
    /**
     * How errors name a row's vector: the column, and for {@code array<double>} the cast, since a double beyond
     * float32's range reads as Infinity and a non-zero one below 7e-46 as 0 (probe helper 32 was told of an
     * Infinity its file did not hold).
     */
    final String vectorLabel;

    private TableInput(Dataset<Row> table, String idColumn, String vectorColumn, String vectorLabel) {
        this.table = table;
        this.idColumn = idColumn;
        this.vectorColumn = vectorColumn;
        this.vectorLabel = vectorLabel;
    }

    /** Checks the two columns and their types; errors name the column, its type and the choices. */
    static TableInput of(Dataset<Row> source, String idColumn, String vectorColumn) {
        StructField id = field(source, idColumn, "--id-col");
        StructField vector = field(source, vectorColumn, "--vector-col");
        if (!id.dataType().equals(DataTypes.LongType) && !id.dataType().equals(DataTypes.IntegerType)) {
            // Spark reads Parquet's unsigned 64-bit integers (DuckDB UBIGINT, Arrow uint64) as decimal(20,0) (probe helper 54).
            boolean unsigned = id.dataType().equals(DataTypes.createDecimalType(20, 0));
            throw new InvalidInputException("column " + idColumn + " is " + id.dataType().simpleString() + ", expected bigint or int"
                    + (unsigned ? " (Spark reads an unsigned 64-bit integer column, uint64, as decimal(20,0): write the ids as signed"
                    + " 64-bit integers, int64)" : "") + ParquetTables.filesDiffering(source, idColumn) + ParquetTables.summaryFile(source));
        }
        DataType type = vector.dataType();
        Column v = col(quote(vectorColumn));
        Column asFloats;
        String label = "column " + vectorColumn;
        if (type instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType)) {
            asFloats = v;
        } else if (type instanceof ArrayType a && a.elementType().equals(DataTypes.DoubleType)) {
            asFloats = v.cast(DataTypes.createArrayType(DataTypes.FloatType));
            label += ", array<double> read as float32: beyond +-3.4e38 is Infinity, below 7e-46 is 0";
        } else if (type instanceof VectorUDT) {
            asFloats = org.apache.spark.ml.functions.vector_to_array(v, "float32");
            label += ", a Spark ML vector read as float32: beyond +-3.4e38 is Infinity, below 7e-46 is 0";
        } else if (type.getClass().getName().equals("org.apache.spark.mllib.linalg.VectorUDT")) {
            // Both kinds print as "vector" (probe helper 43 was told "column vector is vector, expected ... a Spark ML vector").
            throw new InvalidInputException("column " + vectorColumn + " holds vectors of the older org.apache.spark.mllib.linalg, expected"
                    + " org.apache.spark.ml.linalg ones; convert it with MLUtils.convertVectorColumnsToML");
        } else {
            throw new InvalidInputException("column " + vectorColumn + " is " + type.simpleString()
                    + ", expected array<float>, array<double> or a Spark ML vector" + ParquetTables.filesDiffering(source, vectorColumn)
                    + ParquetTables.summaryFile(source));
        }
        Dataset<Row> projected = source.select(col(quote(idColumn)).cast(DataTypes.LongType).as("id"), asFloats.as("vector"));
        return new TableInput(projected, idColumn, vectorColumn, label);
    }

    private static String quote(String column) {
        return "`" + column.replace("`", "``") + "`";
    }

    private static StructField field(Dataset<Row> table, String name, String option) {
        StructField found = null;
        for (StructField f : table.schema().fields()) {
            if (f.name().equals(name)) {
                if (found != null) {
                    // Spark's own refusal, AMBIGUOUS_REFERENCE, came later and in its words (probe helper 43).
                    throw new InvalidInputException("the input has two columns named '" + name + "' (" + option + "), as a join"
                            + " leaves them; select or rename one");
                }
                found = f;
            }
        }
        if (found != null) {
            return found;
        }
        throw new InvalidInputException("no column '" + name + "' (" + option + ") in the input; it has: "
                + String.join(", ", table.schema().fieldNames()) + ParquetTables.filesDiffering(table, name) + ParquetTables.summaryFile(table));
    }

    /** The rows as Spark's internal rows: (id bigint, vector array&lt;float&gt;). */
    JavaRDD<InternalRow> internalRows(Dataset<Row> rows) {
        return rows.queryExecution().toRdd().toJavaRDD();
    }

    /**
     * {@code ", file F"} for the file this task's scan reads now, or nothing when its rows come from no file scan; read
     * only for an error, so the rows pay nothing for it (probe helper 39: a table's bad row named no file).
     */
    private static String inFile() {
        String file = org.apache.spark.rdd.InputFileBlockHolder.getInputFilePath().toString();
        return file.isEmpty() ? "" : ", file " + file;
    }

    /** A task's internal rows read as {@link RowSource}; {@code rows} may reuse one object per row. */
    static RowSource rows(Iterator<InternalRow> rows, String idColumn, String vectorLabel) {
        return new RowSource() {
            private long id;
            private float[] vector;
            private int length;
            private String problem;

            @Override
            public boolean next() {
                if (!rows.hasNext()) {
                    return false;
                }
                InternalRow row = rows.next();
                if (row.isNullAt(0)) {
                    // Probe helper 54: the one row error that named no file.
                    // Worded for both jobs: search-job has no --on-invalid (review helper 64).
                    throw new InvalidInputException("a row has a null id (column " + idColumn + inFile() + "); every row needs an"
                            + " id (a build's --on-invalid skip skips bad vectors, not rows without an id; a table's file without"
                            + " that column reads as nulls: Spark takes the columns from one file)");
                }
                id = row.getLong(0);
                problem = null;
                vector = null;
                if (row.isNullAt(1)) {
                    length = -1;
                    // Probe helper 34: a file of the table without the column reads as nulls (Spark takes the columns from one file).
                    problem = "vector is null (a table's file without that column reads as nulls)";
                    return true;
                }
                ArrayData array = row.getArray(1);
                length = array.numElements();
                if (length == 0) {
                    problem = "vector is empty";
                    return true;
                }
                for (int i = 0; i < length; i++) {
                    if (array.isNullAt(i)) {
                        problem = "vector has a null at component " + i;
                        return true;
                    }
                }
                vector = array.toFloatArray();
                return true;
            }

            @Override
            public long id() {
                return id;
            }

            @Override
            public float[] vector() {
                return vector;
            }

            @Override
            public int length() {
                return length;
            }

            @Override
            public String problem() {
                return problem;
            }

            @Override
            public String describe() {
                return "row id " + id + " (" + vectorLabel + inFile() + ")";
            }

            @Override
            public void close() {
            }
        };
    }
}
