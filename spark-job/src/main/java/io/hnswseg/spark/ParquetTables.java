package io.hnswseg.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Opens a Parquet table as Spark would read it, refusing what Spark would read wrongly or name poorly: a missing path,
 * files Spark would pass over without a word, a column type Spark cannot read (named with its file).
 */
final class ParquetTables {

    private ParquetTables() {
    }

    /** The Parquet table at {@code uri}; one Spark cannot read is an error naming it ({@code what}: "input", "queries"). */
    static Dataset<Row> open(org.apache.spark.sql.SparkSession spark, String uri, String what) {
        // Checked first: Spark's own answer to a missing path comes after a logged stack trace. A glob is Spark's to expand.
        if (!isGlob(uri)) {
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
            boolean missing;
            try {
                missing = !path.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(path);
            } catch (java.io.IOException | RuntimeException e) {
                missing = false; // let Spark's read say what is wrong
            }
            if (missing) {
                throw new InvalidInputException(what + " " + uri + " does not exist");
            }
        }
        Dataset<Row> table;
        try {
            table = spark.read().parquet(uri);
        } catch (Exception e) { // Spark 4's AnalysisException is a checked exception, thrown from Scala undeclared
            String float16 = e.getMessage() != null && e.getMessage().contains("FLOAT16") ? float16Column(spark, uri) : null;
            throw new InvalidInputException(what + " " + uri + ": cannot read it as a Parquet table: " + (float16 != null
                    ? float16 + " holds float16 (half precision) values, which Spark's Parquet reader does not read; write the vectors as float32 (or float64)"
                    : SessionOptions.explain(e)));
        }
        refuseUnreadFiles(spark, uri, what, table.inputFiles());
        return table;
    }

    /**
     * Names the first float16 column found in the table's first files, as "column C of file F" (Spark's refusal names
     * the type alone: probe helper 39), or null when none is found or the files cannot be read.
     */
    private static String float16Column(org.apache.spark.sql.SparkSession spark, String uri) {
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        try {
            org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(uri);
            org.apache.hadoop.fs.FileSystem fs = root.getFileSystem(conf);
            java.util.List<org.apache.hadoop.fs.Path> candidates = new java.util.ArrayList<>();
            org.apache.hadoop.fs.FileStatus[] matched = fs.globStatus(root);
            for (org.apache.hadoop.fs.FileStatus m : matched == null ? new org.apache.hadoop.fs.FileStatus[0] : matched) {
                // A file lists as itself, a directory as the files under it.
                org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> files = fs.listFiles(m.getPath(), true);
                while (files.hasNext() && candidates.size() < 100) {
                    org.apache.hadoop.fs.Path f = files.next().getPath();
                    if (!hidden(f.getName())) {
                        candidates.add(f);
                    }
                }
            }
            for (org.apache.hadoop.fs.Path f : candidates) {
                try (org.apache.parquet.hadoop.ParquetFileReader reader = org.apache.parquet.hadoop.ParquetFileReader.open(
                        org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(f, conf))) {
                    for (org.apache.parquet.column.ColumnDescriptor c : reader.getFileMetaData().getSchema().getColumns()) {
                        if (c.getPrimitiveType().getLogicalTypeAnnotation()
                                instanceof org.apache.parquet.schema.LogicalTypeAnnotation.Float16LogicalTypeAnnotation) {
                            return "column " + c.getPath()[0] + " of file " + f;
                        }
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return null; // the refusal stands without the name
        }
        return null;
    }

    /**
     * Refuses a table directory holding files Spark's reading of it leaves out: Spark reads the files at its top and
     * those in {@code key=value} partition directories, and passes over others without a word (probe helper 34: a
     * table with half its files in a subdirectory built an index of the other half, "skipped 0"). Hidden names
     * ({@code _SUCCESS}, {@code .crc}, {@code _temporary/}) are not data, as for Spark.
     */
    private static void refuseUnreadFiles(org.apache.spark.sql.SparkSession spark, String uri, String what, String[] read) {
        if (isGlob(uri)) {
            return; // a glob names its files itself
        }
        java.util.Set<String> readPaths = new java.util.HashSet<>();
        for (String f : read) {
            readPaths.add(new org.apache.hadoop.fs.Path(java.net.URI.create(f)).toUri().getPath());
        }
        java.util.List<String> unread = new java.util.ArrayList<>();
        long count = 0;
        try {
            org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(uri);
            org.apache.hadoop.fs.FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.getFileStatus(root).isDirectory()) {
                return;
            }
            String top = fs.makeQualified(root).toUri().getPath().replaceAll("/+$", "");
            java.util.List<String> data = new java.util.ArrayList<>();
            org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> files = fs.listFiles(root, true);
            while (files.hasNext()) {
                String path = files.next().getPath().toUri().getPath();
                String relative = path.startsWith(top + "/") ? path.substring(top.length() + 1) : path;
                if (!hidden(relative)) {
                    data.add(relative);
                }
            }
            // Spark lists a file beside key=value directories among its inputs, then reads none of its rows: every
            // data file must sit as deep as the partitioned ones (probe helper 34's date=... table lost its loose file).
            int depth = 0;
            for (String relative : data) {
                if (readPaths.contains(top + "/" + relative) && partitioned(relative)) {
                    depth = Math.max(depth, depth(relative));
                }
            }
            for (String relative : data) {
                if (!readPaths.contains(top + "/" + relative) || depth(relative) != depth) {
                    count++;
                    if (unread.size() < 3) {
                        unread.add(relative);
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return; // a listing that fails says nothing about the table; Spark's reading goes on and reports its own errors
        }
        if (count > 0) {
            throw new InvalidInputException(what + " " + uri + ": " + count + " file" + (count == 1 ? "" : "s") + " in it would not be read"
                    + " (e.g. " + String.join(", ", unread) + "): Spark reads a table's files when all sit at its top, or all under"
                    + " key=value partition directories, and passes over others; move them, or give a glob that names them (e.g. "
                    + uri.replaceAll("/+$", "") + "/*/*.parquet)");
        }
    }

    /** Whether Hadoop takes {@code uri} as a pattern ({@code *}, {@code ?}, {@code [..]}, {@code {a,b}}). */
    private static boolean isGlob(String uri) {
        return uri.matches(".*[*?\\[{].*");
    }

    private static int depth(String relative) {
        return relative.length() - relative.replace("/", "").length();
    }

    /** Whether every directory of a path relative to the table is a {@code key=value} partition. */
    private static boolean partitioned(String relative) {
        String[] steps = relative.split("/");
        for (int i = 0; i < steps.length - 1; i++) {
            if (!steps[i].contains("=")) {
                return false;
            }
        }
        return steps.length > 1;
    }

    /** Whether a path relative to the table has a step Spark takes for no data ({@code _SUCCESS}, {@code .crc}, {@code _temporary}). */
    private static boolean hidden(String relative) {
        for (String step : relative.split("/")) {
            if (step.startsWith("_") || step.startsWith(".")) {
                return true;
            }
        }
        return false;
    }
}
