package io.hnswseg.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import scala.jdk.javaapi.CollectionConverters;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Refuses an output that would take the place of what the same job reads: an output equal to an input,
 * inside it or (when the output is replaced whole) holding it. A search whose {@code --overwrite} named its
 * own index as the output replaced the index with its results; a build into its input's directory would mix
 * segments into a table.
 */
final class Overlap {

    private Overlap() {
    }

    /**
     * For an output that is replaced whole (search results with {@code --overwrite}): refuses it when it is
     * {@code input}, lies inside it or holds it.
     *
     * @param outputName and {@code inputName}: how the user gave each (a flag), for the message
     * @param input      a path or URI the job reads; null for none
     * @throws InvalidInputException when the two overlap
     */
    static void refuse(Configuration conf, String outputName, String output, String inputName, String input) throws IOException {
        check(conf, outputName, output, inputName, input, true);
    }

    /**
     * For an output that files are added to (an index: its own files only, never deleting others): refuses
     * it when it is {@code input} or lies inside it (a table's directory would then hold the index's files).
     */
    static void refuseWithin(Configuration conf, String outputName, String output, String inputName, String input) throws IOException {
        check(conf, outputName, output, inputName, input, false);
    }

    private static void check(Configuration conf, String outputName, String output, String inputName, String input, boolean holding)
            throws IOException {
        if (input == null) {
            return;
        }
        String out;
        try {
            out = qualified(conf, output);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(outputName + " " + output + ": " + SessionOptions.explain(e));
        }
        String in;
        try {
            in = qualified(conf, fixedPart(input));
        } catch (IOException | RuntimeException e) {
            return; // what this configuration cannot resolve is not where it writes; reading it fails in its own words
        }
        String[] resolved = byAddress(out, in);
        out = resolved[0];
        in = resolved[1];
        if (!in.equals(byAddress(out, qualifiedOrNull(conf, input))[1]) && out.startsWith(in)) {
            // A glob ('/t/*'): the output overlaps what it reads when its names below the glob's fixed part match the glob's
            // (probe helper 74: '/t/*' with the output /t/idx was accepted, and the next run read the index as a table).
            in = globbed(input, in, out.substring(in.length()));
            if (in == null) {
                return;
            }
        }
        boolean holds = holding && in.startsWith(out);
        if (holds || out.startsWith(in)) {
            throw new InvalidInputException(outputName + " " + output + (in.equals(out) ? " is " : holds ? " holds " : " lies inside ")
                    + inputName + " " + input + ": writing there would " + (holding ? "replace" : "add files to") + " what the job reads; choose another "
                    + outputName);
        }
    }

    /** The leading components of {@code uri} without glob characters: all of it when it has none. */
    private static String fixedPart(String uri) {
        String[] parts = uri.split("/", -1);
        StringBuilder fixed = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].matches(".*[*?\\[{].*")) {
                return fixed.length() == 0 ? "/" : fixed.toString();
            }
            fixed.append(i == 0 ? "" : "/").append(parts[i]);
        }
        return uri;
    }

    private static String qualifiedOrNull(Configuration conf, String uri) {
        try {
            return qualified(conf, uri);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * What glob {@code input} reads that compares with the output: its fixed part {@code fixed} (qualified) followed by the
     * output's own names {@code below} it, as far as the glob's names match them (the output then lies inside or is
     * what it reads, or holds it when it stops short); null when a name does not match (the glob passes the output by).
     */
    private static String globbed(String input, String fixed, String below) {
        String[] globs = input.substring(fixedPart(input).length()).replaceAll("^/+", "").split("/");
        String[] names = below.isEmpty() ? new String[0] : below.replaceAll("/+$", "").split("/");
        StringBuilder read = new StringBuilder(fixed);
        for (int i = 0; i < globs.length; i++) {
            if (i >= names.length) {
                return read.toString() + globs[i] + "/"; // the output stops short of the glob: it holds what the glob reads
            }
            try {
                if (!org.apache.hadoop.fs.GlobPattern.compile(globs[i]).matcher(names[i]).matches()) {
                    return null;
                }
            } catch (RuntimeException e) {
                return null; // not a glob Hadoop reads: its own read fails in its words
            }
            read.append(names[i]).append('/');
        }
        return read.toString();
    }

    /**
     * The root directories (or files) of the file tables a Dataset reads, such as {@code /t} of
     * {@code spark.read().parquet("/t")}; none for a Dataset made in memory.
     */
    static String[] inputRoots(Dataset<?> table) {
        List<String> roots = new ArrayList<>();
        for (LogicalPlan leaf : CollectionConverters.asJava(table.queryExecution().analyzed().collectLeaves())) {
            if (leaf instanceof LogicalRelation relation && relation.relation() instanceof HadoopFsRelation files) {
                for (Path root : CollectionConverters.asJava(files.location().rootPaths())) {
                    roots.add(root.toString());
                }
            }
        }
        return roots.toArray(new String[0]);
    }

    /**
     * {@code uri} qualified on its file system as {@code scheme://authority/path/}, one trailing slash, so
     * that prefixes compare whole names: Hadoop qualifies one local path as {@code file:/x} and another as
     * {@code file:///x}, which only their parts show to be the same.
     */
    private static String qualified(Configuration conf, String uri) throws IOException {
        Path path = new Path(uri);
        URI qualified = path.getFileSystem(conf).makeQualified(path).toUri().normalize();
        String authority = qualified.getAuthority() == null ? "" : qualified.getAuthority();
        // Through a link to an index, idxlink/res lies inside idx, which the names alone do not show.
        String local = "file".equals(qualified.getScheme()) ? io.hnswseg.io.LocalFiles.real(java.nio.file.Path.of(qualified.getPath())).toString()
                : qualified.getPath();
        return qualified.getScheme() + "://" + authority + local.replaceAll("/+$", "") + "/";
    }

    /** Schemes whose authority is a host, not a bucket or account. */
    private static final Set<String> HOSTED = Set.of("hdfs", "webhdfs", "swebhdfs");

    /**
     * {@code out} and {@code in} (qualified, {@code scheme://authority/path/}) with their hosts as addresses when both
     * name a namenode under two names ({@code hdfs://localhost:9820} and {@code hdfs://127.0.0.1:9820} are one file
     * system: probe helper 90); as given otherwise, so that no other case waits on a name lookup (review helper 96). A
     * name that does not resolve (an HA nameservice) stays as given.
     */
    private static String[] byAddress(String out, String in) {
        if (in == null) {
            return new String[]{out, null};
        }
        String[] o = parts(out);
        String[] i = parts(in);
        if (o == null || i == null || !o[0].equals(i[0]) || !HOSTED.contains(o[0]) || o[1].equals(i[1])) {
            return new String[]{out, in};
        }
        return new String[]{o[0] + "://" + address(o[1]) + o[2], i[0] + "://" + address(i[1]) + i[2]};
    }

    /** Scheme, authority and the rest of a qualified URI, or null. */
    private static String[] parts(String qualified) {
        int scheme = qualified.indexOf("://");
        if (scheme < 0) {
            return null;
        }
        int path = qualified.indexOf('/', scheme + 3);
        return path < 0 ? null : new String[]{qualified.substring(0, scheme), qualified.substring(scheme + 3, path), qualified.substring(path)};
    }

    private static String address(String authority) {
        try {
            URI uri = URI.create("x://" + authority);
            if (uri.getHost() == null) {
                return authority;
            }
            return InetAddress.getByName(uri.getHost()).getHostAddress() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        } catch (IllegalArgumentException | UnknownHostException e) {
            return authority;
        }
    }
}
