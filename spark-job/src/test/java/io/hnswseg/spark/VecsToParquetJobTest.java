package io.hnswseg.spark;

import io.hnswseg.io.FloatMatrix;
import io.hnswseg.io.VecsWriter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code to-parquet} writes every row once, as the build reads a table, and replaces nothing. */
class VecsToParquetJobTest {

    private static final int ROWS = 1_001;
    private static final int DIM = 3;

    @TempDir
    static Path tmp;
    private static SparkSession spark;
    private static FloatMatrix data;

    @BeforeAll
    static void start() {
        spark = JobFixtures.session("local[2]").getOrCreate();
        float[] rows = new float[ROWS * DIM];
        for (int i = 0; i < ROWS; i++) {
            rows[i * DIM] = i;
            rows[i * DIM + 1] = -i;
            rows[i * DIM + 2] = i % 7;
        }
        data = new FloatMatrix(DIM, ROWS, rows);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static VecsToParquetJob job(String... args) {
        VecsToParquetJob job = new VecsToParquetJob();
        new CommandLine(job).parseArgs(args);
        return job;
    }

    private static long parquetFiles(Path table) throws Exception {
        try (Stream<Path> files = Files.list(table)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".parquet")).count();
        }
    }

    @Test
    void everyRowOnceWithItsRowNumberAsId() throws Exception {
        Path input = JobFixtures.writeFvecs(tmp.resolve("rows.fvecs"), data);
        Path table = tmp.resolve("table");
        assertEquals(ROWS, job("--input", input.toString(), "--output", table.toString(), "--files", "3").run(spark, "fvecs"));
        assertEquals(3, parquetFiles(table));
        List<Row> read = spark.read().parquet(table.toString()).orderBy("id").collectAsList();
        assertEquals(ROWS, read.size());
        for (int i = 0; i < ROWS; i++) {
            Row row = read.get(i);
            assertEquals(i, row.getLong(row.fieldIndex("id")));
            List<Float> vector = row.getList(row.fieldIndex("vector"));
            assertEquals(List.of((float) i, (float) -i, (float) (i % 7)), vector, "row " + i);
        }
    }

    @Test
    void bvecsWithTheColumnsNamedAndNoMoreFilesThanRows() throws Exception {
        Path input = tmp.resolve("bytes.bvecs");
        try (VecsWriter w = VecsWriter.create(input)) {
            w.writeFloats(new float[] {0, 1, 255}, 0, DIM);
            w.writeFloats(new float[] {7, 8, 9}, 0, DIM);
        }
        Path table = tmp.resolve("bytes-table");
        assertEquals(2, job("--input", input.toString(), "--output", table.toString(), "--files", "8",
                "--id-col", "key", "--vector-col", "embedding").run(spark, "bvecs"));
        assertEquals(2, parquetFiles(table));
        List<Row> read = spark.read().parquet(table.toString()).orderBy("key").collectAsList();
        assertEquals(List.of(0f, 1f, 255f), read.get(0).getList(read.get(0).fieldIndex("embedding")));
        assertEquals(1L, read.get(1).getLong(read.get(1).fieldIndex("key")));
    }

    @Test
    void anExistingOutputIsRefusedAndKept() throws Exception {
        Path input = JobFixtures.writeFvecs(tmp.resolve("kept.fvecs"), data);
        Path output = Files.createDirectories(tmp.resolve("someone-elses"));
        Files.writeString(output.resolve("notes.txt"), "keep");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> job("--input", input.toString(), "--output", output.toString()).run(spark, "fvecs"));
        assertTrue(e.getMessage().contains("exists"), e.getMessage());
        assertEquals("keep", Files.readString(output.resolve("notes.txt")));
        // The input itself as the output: refused, and the file is whole.
        assertThrows(InvalidInputException.class, () -> job("--input", input.toString(), "--output", input.toString()).run(spark, "fvecs"));
        assertArrayEquals(Files.readAllBytes(JobFixtures.writeFvecs(tmp.resolve("again.fvecs"), data)), Files.readAllBytes(input));
    }

    /** A record that breaks the file in the middle fails its task: nothing is left at the output, so a retry can write there. */
    @Test
    void aFailedWriteLeavesNoOutput() throws Exception {
        Path input = JobFixtures.writeFvecs(tmp.resolve("broken.fvecs"), data);
        byte[] bytes = Files.readAllBytes(input);
        int record = 4 + 4 * DIM;
        bytes[900 * record] = (byte) (DIM + 1); // record 900 declares another dimension; the file's size stays whole
        Files.write(input, bytes);
        Path table = tmp.resolve("broken-table");
        Exception e = assertThrows(Exception.class,
                () -> job("--input", input.toString(), "--output", table.toString(), "--files", "2").run(spark, "fvecs"));
        assertTrue(SessionOptions.explain(e).contains("record 900 declares dimension 4"), SessionOptions.explain(e));
        assertTrue(Files.notExists(table), "the failed write's directory is removed");
        Path whole = JobFixtures.writeFvecs(tmp.resolve("whole.fvecs"), data);
        assertEquals(ROWS, job("--input", whole.toString(), "--output", table.toString()).run(spark, "fvecs"));
    }

    @Test
    void whatIsNotAVectorsFileIsRefusedByName() {
        InvalidInputException table = assertThrows(InvalidInputException.class,
                () -> job("--input", tmp.resolve("a-table").toString(), "--output", tmp.resolve("t2").toString()).call());
        assertTrue(table.getMessage().contains("give an .fvecs or .bvecs file"), table.getMessage());
        InvalidInputException missing = assertThrows(InvalidInputException.class,
                () -> job("--input", tmp.resolve("none.fvecs").toString(), "--output", tmp.resolve("t3").toString()).run(spark, "fvecs"));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        assertThrows(InvalidInputException.class,
                () -> job("--input", "x.fvecs", "--output", tmp.resolve("t4").toString(), "--files", "0").call());
        // Spark's column names are case-insensitive.
        InvalidInputException oneColumn = assertThrows(InvalidInputException.class,
                () -> job("--input", "x.fvecs", "--output", tmp.resolve("t5").toString(), "--id-col", "ID", "--vector-col", "id").call());
        assertTrue(oneColumn.getMessage().contains("name one column"), oneColumn.getMessage());
        InvalidInputException directory = assertThrows(InvalidInputException.class,
                () -> job("--input", tmp.toString(), "--format", "fvecs", "--output", tmp.resolve("t6").toString()).run(spark, "fvecs"));
        assertTrue(directory.getMessage().contains("is a directory: give an .fvecs or .bvecs file"), directory.getMessage());
    }

    /** A table's readers take its own files: one written into its directory made the build refuse the outer table (probe helper 115). */
    @Test
    void anOutputInsideATableIsRefused() throws Exception {
        Path input = JobFixtures.writeFvecs(tmp.resolve("outer.fvecs"), data);
        Path outer = tmp.resolve("outer-table");
        job("--input", input.toString(), "--output", outer.toString(), "--files", "1").run(spark, "fvecs");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> job("--input", input.toString(), "--output", outer.resolve("sub").toString()).run(spark, "fvecs"));
        assertTrue(e.getMessage().contains("is inside the table"), e.getMessage());
        assertTrue(Files.notExists(outer.resolve("sub")));
    }
}
