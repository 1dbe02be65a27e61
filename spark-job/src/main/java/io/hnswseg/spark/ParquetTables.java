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
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        // A path that exists under its very name is that path, glob characters and all: read as a pattern, t[1] built
        // the index of its sibling t1 without a word, and z[9] beside no z9 "did not exist" (probe helper 89).
        // Where the file system cannot tell, a name too: read as a pattern it could take another table (review helper 92).
        Boolean exists = exists(uri, conf);
        boolean literal = !isGlob(uri) || exists != Boolean.FALSE;
        String read = literal ? escapeGlob(uri) : uri;
        // Checked first: Spark's own answer to a missing path comes after a logged stack trace. A glob is Spark's to expand.
        if (!isGlob(uri) && exists == Boolean.FALSE) {
            throw new InvalidInputException(what + " " + uri + " does not exist");
        }
        Dataset<Row> table;
        try {
            table = spark.read().parquet(read);
        } catch (Exception e) { // Spark 4's AnalysisException is a checked exception, thrown from Scala undeclared
            if (literal && e.getMessage() != null && e.getMessage().contains("UNABLE_TO_INFER_SCHEMA")) {
                // Every file in plain subdirectories: Spark reads none, and asks for a schema the user cannot give (probe
                // helper 77). Said as for a table of which some files would not be read; an empty one keeps Spark's words.
                refuseUnreadFiles(spark, uri, what, new String[0]);
            }
            String float16 = e.getMessage() != null && e.getMessage().contains("FLOAT16") ? float16Column(spark, read) : null;
            throw new InvalidInputException(what + " " + uri + ": cannot read it as a Parquet table: " + (float16 != null
                    ? float16 + " holds float16 (half precision) values, which Spark's Parquet reader does not read; write the vectors as float32 (or float64)"
                    : !literal && String.valueOf(e.getMessage()).contains("Relative path in absolute URI")
                    ? "Hadoop cannot expand a glob over a directory holding a name with ':' in it (" + Causes.firstLine(e)
                            + "): rename it, or give the table's directory itself"
                    : SessionOptions.explain(e)));
        }
        if (literal) {
            refuseUnreadFiles(spark, uri, what, table.inputFiles());
        }
        return table;
    }

    /** Whether the path {@code uri} names exists, taken literally; null when the file system cannot tell. */
    private static Boolean exists(String uri, org.apache.hadoop.conf.Configuration conf) {
        try {
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
            return path.getFileSystem(conf).exists(path);
        } catch (java.io.IOException | RuntimeException e) {
            return null; // let Spark's read say what is wrong
        }
    }

    /**
     * {@code uri} with Hadoop's glob characters in its path escaped, so that Spark reads the path of that very name; the
     * scheme and authority stay as they are (an IPv6 host's brackets).
     */
    static String escapeGlob(String uri) {
        java.util.regex.Matcher authority = java.util.regex.Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*").matcher(uri);
        int path = authority.find() ? authority.end() : 0;
        return uri.substring(0, path) + uri.substring(path).replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
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
        java.util.Set<String> readPaths = new java.util.HashSet<>();
        for (String f : read) {
            readPaths.add(new org.apache.hadoop.fs.Path(java.net.URI.create(f)).toUri().getPath());
        }
        java.util.List<String> unread = new java.util.ArrayList<>();
        long count = 0;
        String glob = null;
        try {
            org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(uri);
            org.apache.hadoop.fs.FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.getFileStatus(root).isDirectory()) {
                return;
            }
            String top = fs.makeQualified(root).toUri().getPath().replaceAll("/+$", "");
            java.util.List<String> data = new java.util.ArrayList<>();
            for (org.apache.hadoop.fs.Path file : filesUnder(fs, root)) {
                String path = file.toUri().getPath();
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
            glob = globOf(uri, data);
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
        if (count > 0 && unread.stream().anyMatch(f -> f.endsWith("._COPYING_"))) {
            // Probe helper 54 was offered a glob of subdirectories for a flat table holding a copy in progress.
            throw new InvalidInputException(what + " " + uri + ": " + count + " file" + (count == 1 ? "" : "s") + " in it would not be"
                    + " read (e.g. " + String.join(", ", unread) + "); a name ending in ._COPYING_ is a copy still being written (hdfs"
                    + " dfs -put, distcp), which Spark does not read: wait for the copy to end");
        }
        if (count > 0) {
            throw new InvalidInputException(what + " " + uri + ": " + count + " file" + (count == 1 ? "" : "s") + " in it would not be read"
                    + " (e.g. " + String.join(", ", unread) + "): Spark reads a table's files when all sit at its top, or all under"
                    + " key=value partition directories, and passes over others; move them, or give a glob that names every"
                    + " file" + (glob != null ? ", quoted: --" + what + " '" + glob + "'" : ""));
        }
    }

    /**
     * A glob naming exactly a table's data files ({@code relative} to {@code uri}), each directory that holds some by
     * name: {@code T/{*.parquet,more/*.parquet}}; or null when none can, safely and briefly (names not ending in {@code
     * .parquet}, a subdirectory whose name does, more than {@link #MAX_GLOB_DIRS} directories, names with glob
     * characters). Probe helper 77: the glob this error suggested named only the subdirectories' files, and the build
     * indexed half the table; review helper 79: a {@code *} that also matched a directory read its files twice.
     */
    static String globOf(String uri, java.util.List<String> relative) {
        if (relative.isEmpty() || !relative.stream().allMatch(f -> f.endsWith(".parquet"))) {
            return null;
        }
        java.util.SortedSet<String> holding = new java.util.TreeSet<>();
        java.util.Set<String> dirs = new java.util.HashSet<>();
        for (String f : relative) {
            int slash = f.lastIndexOf('/');
            holding.add(slash < 0 ? "" : f.substring(0, slash));
            for (int at = f.indexOf('/'); at >= 0; at = f.indexOf('/', at + 1)) {
                dirs.add(f.substring(0, at));
            }
        }
        if (holding.size() > MAX_GLOB_DIRS || dirs.stream().anyMatch(d -> d.matches(".*[{}\\[\\]*?,\\\\].*"))) {
            return null;
        }
        java.util.List<String> patterns = new java.util.ArrayList<>();
        for (String d : holding) {
            String prefix = d.isEmpty() ? "" : d + "/";
            // *.parquet in d must not also match a directory there, whose files Spark would then read a second time.
            boolean ambiguous = dirs.stream().anyMatch(sub -> sub.startsWith(prefix) && sub.indexOf('/', prefix.length()) < 0
                    && sub.endsWith(".parquet"));
            if (ambiguous) {
                return null;
            }
            patterns.add(prefix + "*.parquet");
        }
        // The table's own name escaped: for a table t[1] the glob read its sibling t1 (review helper 92).
        String root = escapeGlob(uri.replaceAll("/+$", "")) + "/";
        return patterns.size() == 1 ? root + patterns.get(0) : root + "{" + String.join(",", patterns) + "}";
    }

    /** Directories a suggested glob names at most, one by one. */
    private static final int MAX_GLOB_DIRS = 8;

    /**
     * For an error about a column's type or absence: the table's summary file ({@code _common_metadata}, else {@code
     * _metadata}) if it has one, whose columns Spark takes instead of the data files', as {@code "; the table's columns
     * come from its summary file F ..."}, or nothing. Probe helper 54: a stale summary made the job look for columns the
     * data files do not have; looked for on the error path only, where a stale one is the likely cause (a table whose
     * files gained columns keeps reading well through an old summary: review helper 56).
     */
    static String summaryFile(Dataset<?> table) {
        java.util.List<org.apache.hadoop.fs.Path> dirs = new java.util.ArrayList<>();
        for (String root : Overlap.inputRoots(table)) {
            dirs.add(new org.apache.hadoop.fs.Path(root));
        }
        return summaryIn(dirs, table.sparkSession().sparkContext().hadoopConfiguration());
    }

    /**
     * {@link #summaryFile} for an error met reading {@code file} (a URI, as Spark names it), whose table is not at hand:
     * a summary in the table's directory, the file's own or, under {@code key=value} directories, the one above them.
     * Probe helper 77: a stale summary's column type was blamed on the data files, which agreed.
     */
    static String summaryBeside(String file) {
        org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.getActiveSession()
                .getOrElse(() -> org.apache.spark.sql.SparkSession.getDefaultSession().getOrElse(() -> null));
        if (spark == null) {
            return "";
        }
        org.apache.hadoop.fs.Path table;
        try {
            table = new org.apache.hadoop.fs.Path(java.net.URI.create(file)).getParent();
        } catch (RuntimeException e) {
            return ""; // the error stands without it
        }
        while (table != null && table.getName().contains("=") && table.getParent() != null) {
            table = table.getParent();
        }
        return table == null ? "" : summaryIn(java.util.List.of(table), spark.sparkContext().hadoopConfiguration());
    }

    private static String summaryIn(java.util.List<org.apache.hadoop.fs.Path> dirs, org.apache.hadoop.conf.Configuration conf) {
        try {
            for (org.apache.hadoop.fs.Path dir : dirs) {
                org.apache.hadoop.fs.FileSystem fs = dir.getFileSystem(conf);
                for (String name : new String[]{"_common_metadata", "_metadata"}) {
                    org.apache.hadoop.fs.Path summary = new org.apache.hadoop.fs.Path(dir, name);
                    if (fs.exists(summary)) {
                        return "; the table's columns come from its summary file " + summary + ", which Spark reads instead of"
                                + " its data files: if it is stale, remove it (and any other _metadata or _common_metadata there)";
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return ""; // the error stands without it
        }
        return "";
    }

    /**
     * Every file under {@code root}, at any depth. On a local disk by listing directories: Hadoop's recursive listing
     * builds a {@code LocatedFileStatus} per file, which asks the file's permissions of a shell command there (probe
     * helper 87: 12 ms a file, 48 s of silence before a build over 4,000 files). Elsewhere (S3, HDFS) its recursive
     * listing, which an object store answers for many files per request.
     */
    private static java.util.List<org.apache.hadoop.fs.Path> filesUnder(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path root)
            throws java.io.IOException {
        java.util.List<org.apache.hadoop.fs.Path> files = new java.util.ArrayList<>();
        if (!"file".equals(fs.getScheme())) {
            org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> listed = fs.listFiles(root, true);
            while (listed.hasNext()) {
                files.add(listed.next().getPath());
            }
            return files;
        }
        java.util.ArrayDeque<org.apache.hadoop.fs.Path> dirs = new java.util.ArrayDeque<>(java.util.List.of(root));
        while (!dirs.isEmpty()) {
            for (org.apache.hadoop.fs.FileStatus status : fs.listStatus(dirs.pop())) {
                if (status.isDirectory()) {
                    dirs.push(status.getPath());
                } else {
                    files.add(status.getPath());
                }
            }
        }
        return files;
    }

    /** Files whose footers an explanation of a column error reads at most (each is a request on an object store). */
    private static final int MAX_FOOTERS = 64;

    /**
     * For an error about a column's type or absence: which of the table's files hold it otherwise than the others,
     * as {@code "; the table's files differ: F holds column C as int32 where 2 other files hold it as float ..."}, or
     * nothing when they agree, are more than {@link #MAX_FOOTERS}, cannot be read, or the Dataset reads no files.
     * Spark takes a table's columns from one of its files, which may be an empty one written with other types (probe
     * helper 54: a 0-row file of int vectors made the table's vector column int, and the error named no file).
     */
    static String filesDiffering(Dataset<?> table, String column) {
        java.util.Map<String, java.util.List<String>> byType = new java.util.LinkedHashMap<>();
        try {
            // Spark lists summary files (_metadata, _common_metadata) among a table's input files: not data.
            java.util.List<org.apache.hadoop.fs.Path> files = new java.util.ArrayList<>();
            for (String f : table.inputFiles()) {
                org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(java.net.URI.create(f));
                if (!hidden(path.getName())) {
                    files.add(path);
                }
            }
            if (files.size() < 2 || files.size() > MAX_FOOTERS) {
                return "";
            }
            org.apache.hadoop.conf.Configuration conf = table.sparkSession().sparkContext().hadoopConfiguration();
            for (org.apache.hadoop.fs.Path path : files) {
                try (org.apache.parquet.hadoop.ParquetFileReader reader = org.apache.parquet.hadoop.ParquetFileReader.open(
                        org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(path, conf))) {
                    byType.computeIfAbsent(leafType(reader.getFileMetaData().getSchema(), column), t -> new java.util.ArrayList<>())
                            .add(path.toString());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return ""; // the error stands without the names
        }
        if (byType.size() < 2) {
            return "";
        }
        java.util.List<java.util.Map.Entry<String, java.util.List<String>>> groups = new java.util.ArrayList<>(byType.entrySet());
        groups.sort(java.util.Comparator.comparingInt(g -> g.getValue().size()));
        java.util.Map.Entry<String, java.util.List<String>> odd = groups.get(0);
        java.util.Map.Entry<String, java.util.List<String>> most = groups.get(groups.size() - 1);
        int others = odd.getValue().size() - 1;
        return "; the table's files differ: " + odd.getValue().get(0) + (others > 0 ? " and " + others + " more" : "")
                + (odd.getKey() == null ? (others > 0 ? " lack" : " lacks") + " column " + column
                        : (others > 0 ? " hold" : " holds") + " column " + column + " as " + odd.getKey()) + " where "
                + most.getValue().size() + " other file" + (most.getValue().size() == 1 ? "" : "s")
                + (most.getKey() == null ? " lack it" : " hold it as " + most.getKey())
                + " (Spark takes a table's columns from one of its files): write every file with the same columns";
    }

    /**
     * The Parquet type of {@code column}'s values in a file's schema, such as {@code float} for a list of floats or
     * {@code int64 (INTEGER(64,false))} for an unsigned one; null when the file has no such column (Spark matches
     * names regardless of case).
     */
    private static String leafType(org.apache.parquet.schema.MessageType schema, String column) {
        org.apache.parquet.schema.Type type = null;
        for (org.apache.parquet.schema.Type field : schema.getFields()) {
            if (field.getName().equalsIgnoreCase(column)) {
                type = field;
            }
        }
        if (type == null) {
            return null;
        }
        // A list's values are its one leaf, whichever of Parquet's list layouts holds them.
        while (!type.isPrimitive()) {
            type = type.asGroupType().getType(0);
        }
        org.apache.parquet.schema.PrimitiveType leaf = type.asPrimitiveType();
        String name = leaf.getPrimitiveTypeName().name().toLowerCase(java.util.Locale.ROOT);
        return leaf.getLogicalTypeAnnotation() == null ? name : name + " (" + leaf.getLogicalTypeAnnotation() + ")";
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
