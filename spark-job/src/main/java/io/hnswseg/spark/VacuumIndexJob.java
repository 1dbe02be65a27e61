package io.hnswseg.spark;

import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.Leases;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The vacuum command: {@code bin/hnswseg vacuum URI [--older-than DURATION] [--dry-run]}. A thin wrapper of
 * {@link Vacuum#run}: removes the files of an index's directory that its manifest does not list, once they
 * and the manifest are older than the grace period. It starts no Spark: Hadoop's FileSystem alone, with
 * the {@code spark.hadoop.*} (or plain Hadoop) properties given, so local paths, {@code file:},
 * {@code hdfs://} and {@code s3a://} work as in the build.
 */
@Command(name = "vacuum", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Remove the files of an index that its manifest.json does not list (left by failed builds, lost attempts "
                + "and replaced indexes), once they and the manifest are older than a grace period.")
public final class VacuumIndexJob implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "URI", description = "the index: the directory or prefix holding manifest.json "
            + "(local path, file:, hdfs://, s3a://, ...)")
    String uri;

    @Option(names = "--older-than", paramLabel = "DURATION", defaultValue = "1h", description = "grace period: an unlisted file "
            + "goes once it and the manifest are older than this, so readers of the previous manifest and builds still writing "
            + "keep their files; e.g. 30m, 2h, 7d; 0 removes every unlisted file now, but those of running builds, search-jobs "
            + "and servers (which hold leases; a serve that cannot write in the index's directory or runs with --no-read-lease "
            + "holds none, nor do query, eval or a Java reader by default: such a reader answers from the replaced files until "
            + "it ends or switches, 30 s or less after a commit plus the time to open the new index) (default: ${DEFAULT-VALUE})")
    String olderThan;

    @Option(names = "--dry-run", description = "list what would be removed; remove nothing")
    boolean dryRun;

    @Option(names = "--properties-file", description = "Spark properties file: its spark.hadoop.* entries apply, e.g. conf/spark-defaults.conf")
    java.nio.file.Path propertiesFile;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "a Hadoop property, repeatable, as spark.hadoop.KEY=VALUE or "
            + "KEY=VALUE (e.g. fs.s3a.endpoint=http://127.0.0.1:9000), applied after --properties-file; other spark.* properties "
            + "are ignored (vacuum starts no Spark)")
    Map<String, String> properties = new LinkedHashMap<>();

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(io.hnswseg.cli.UsageErrors.execute(commandLine(), args, "hnswseg vacuum", SessionOptions.MORE_MEMORY));
    }

    static CommandLine commandLine() {
        return SessionOptions.commandLine(new VacuumIndexJob(), "vacuum");
    }

    /**
     * Hadoop's configuration with the spark.hadoop.* entries spark-submit passed (its --conf, the cluster's defaults),
     * then the properties file's, then the --conf ones: under spark-submit it went to AWS's S3, not the endpoint set
     * there (probe helper 93).
     */
    Configuration hadoopConfiguration() throws IOException {
        return SessionOptions.hadoopConfiguration(SessionOptions.afterSubmitted(SessionOptions.settings(propertiesFile, properties)));
    }

    @Override
    public Integer call() throws Exception {
        Duration grace;
        try {
            grace = Vacuum.parseDuration(olderThan);
        } catch (InvalidInputException e) {
            // A value of the wrong type is a usage error (exit 2), as serve's durations are (probe helper 95).
            throw new CommandLine.ParameterException(spec.commandLine(), "--older-than: " + e.getMessage());
        }
        Configuration hadoop = hadoopConfiguration();
        S3Endpoints.reachable(hadoop, uri);
        Path given = new Path(uri);
        FileSystem fs;
        try {
            // A private instance, closed at the end (S3A's threads and connections with it).
            fs = FileSystem.newInstance(given.toUri(), hadoop);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException("index " + uri + ": " + SessionOptions.explain(e));
        }
        try {
            // Segments and manifest carry their own checks; a stale .crc sidecar must not fail the read.
            fs.setVerifyChecksum(false);
            fs.setWriteChecksum(false);
            return vacuum(fs, fs.makeQualified(given), grace);
        } catch (IOException e) {
            // The store could not be reached or refused a request: name the index, keep the trace for debugging.
            InvalidInputException named = new InvalidInputException("index " + uri + ": " + SessionOptions.explain(e));
            named.initCause(e);
            throw named;
        } finally {
            fs.close();
        }
    }

    /**
     * How long after a commit readers may still use the index it replaced: {@code serve} reads its manifest again every
     * 30 s ({@code SearchServer.INDEX_CHECK_EVERY}), then opens the new index (downloads it, from S3) before it switches.
     */
    static final Duration READERS_SWITCH_WITHIN = Duration.ofMinutes(2);

    /**
     * Says so when segments or centroids of the index a recent commit replaced were removed: a {@code serve} following
     * the index answers from them until it has switched, and failed every search meanwhile (probe helper 111: 1,133
     * failed requests in 15 s after a {@code --older-than 0} right behind a build). A server holds a lease where it can
     * write one; {@code query}, {@code eval} and a Java reader by default hold none, so only the grace period keeps their files.
     */
    private void warnOfReadersStillOnTheReplacedIndex(long sinceCommit, Vacuum.Result result) {
        long replaced = result.removed().stream().filter(e -> e.path().contains("/")).count();
        if (dryRun || replaced == 0 || sinceCommit >= READERS_SWITCH_WITHIN.toMillis()) {
            return;
        }
        spec.commandLine().getErr().printf("hnswseg vacuum: warning: the manifest was written %s ago, and %d removed file%s of"
                + " segments/ and routing/ may belong to the index it replaced: a reader that opened it before and holds no"
                + " lease (`query`, `eval`, a Java IndexReader, a `serve` that cannot write here or runs with --no-read-lease)"
                + " answers from them until it ends or switches (`serve` reads the manifest again every 30 s, then opens the new"
                + " index), and fails its searches meanwhile; give --older-than %s or more while such readers run%n", age(sinceCommit), replaced, replaced == 1 ? "" : "s", duration(READERS_SWITCH_WITHIN));
    }

    private int vacuum(FileSystem fs, Path root, Duration grace) throws IOException {
        Path manifestPath = new Path(root, IndexManifest.FILE_NAME);
        FileStatus manifestStatus = Vacuum.status(fs, manifestPath);
        if (manifestStatus == null || !manifestStatus.isFile()) {
            FileStatus rootStatus = Vacuum.status(fs, root);
            String what = rootStatus == null ? "does not exist" : rootStatus.isFile() ? "is a file, not an index directory"
                    : "holds no " + IndexManifest.FILE_NAME;
            throw new InvalidInputException("index " + root + " " + what + ": nothing removed (without a manifest, which files "
                    + "belong to an index is unknown)");
        }
        IndexManifest manifest = Vacuum.readManifest(fs, manifestPath);
        Vacuum.Result result = Vacuum.run(fs, root, grace, null, dryRun);
        long now = result.storeNow();

        PrintWriter out = spec.commandLine().getOut();
        out.printf("hnswseg vacuum: %s: manifest written %s ago, lists %d segment%s%s; grace period %s%s%n", root,
                age(now - manifestStatus.getModificationTime()), manifest.segments().size(), manifest.segments().size() == 1 ? "" : "s",
                manifest.routed() ? " and a centroids file" : "", duration(grace), dryRun ? " (dry run: nothing is removed)" : "");
        for (Vacuum.Entry e : sorted(result.removed())) {
            out.printf("  %-14s %s  %s, written %s ago%n", dryRun ? "would remove" : "removed", e.path(), bytes(e.bytes()),
                    age(now - e.modified()));
        }
        if (!result.clockRead()) {
            spec.commandLine().getErr().printf("hnswseg vacuum: warning: the store's clock could not be read (a probe file could not"
                    + " be written in %s): ages are read by this machine's, and every lease there is taken as live, so the files of"
                    + " builds and searches killed there stay until a vacuum that can write%n", root);
        }
        warnOfReadersStillOnTheReplacedIndex(now - manifestStatus.getModificationTime(), result);
        boolean manifestYoung = !grace.isZero() && now - manifestStatus.getModificationTime() < grace.toMillis();
        for (Vacuum.Entry e : sorted(result.tooYoung())) {
            // Files of segments/ and routing/ also wait for the manifest to be old enough; staged manifests do not.
            long since = e.path().contains("/") ? Math.max(e.modified(), manifestStatus.getModificationTime()) : e.modified();
            long due = since + grace.toMillis() - now;
            // A lease here has lapsed (a live one is not a leftover): its job was killed (probe helper 84: not said).
            boolean lease = e.path().startsWith(BuildLease.PREFIX) || Leases.isReadLease(e.path());
            out.printf("  %-14s %s  %s, written %s ago; removable in %s%s%n", "kept", e.path(), bytes(e.bytes()), age(now - e.modified()),
                    age((Math.max(due, 0) + 999) / 1000 * 1000), lease ? " (a lapsed lease: its job ended without removing it)" : "");
        }
        for (Vacuum.Entry e : sorted(result.read())) {
            String lease = result.leaseOf().get(e.path());
            out.printf("  %-14s %s  %s, written %s ago; %s%n", "kept", e.path(), bytes(e.bytes()), age(now - e.modified()),
                    lease == null ? "a reader (a search-job, a server) may use it (a reader's lease there could not be read whole: being"
                            + " renewed, or an earlier version's)"
                            : "a reader (a search-job, a server) uses it (its lease " + lease + " is renewed while it runs)");
        }
        if (!result.running().isEmpty()) {
            out.printf("  %-14s every file of the build%s %s, running there (its lease %s%s is renewed while it runs)%n", "kept",
                    result.running().size() == 1 ? "" : "s", String.join(", ", new java.util.TreeSet<>(result.running())),
                    BuildLease.PREFIX, result.running().size() == 1 ? result.running().iterator().next() : "<run id>");
        }
        long removedBytes = result.removed().stream().mapToLong(Vacuum.Entry::bytes).sum();
        long keptBytes = result.tooYoung().stream().mapToLong(Vacuum.Entry::bytes).sum();
        String kept = result.tooYoung().isEmpty() ? "" : String.format("; kept %d for later (%s), younger than %s%s",
                result.tooYoung().size(), bytes(keptBytes), duration(grace),
                manifestYoung ? " or written before a manifest that is (readers of the index it replaced may still fetch them)" : "");
        if (!result.read().isEmpty()) {
            kept += String.format("; kept %d that running readers use (%s)", result.read().size(),
                    bytes(result.read().stream().mapToLong(Vacuum.Entry::bytes).sum()));
        }
        for (Vacuum.Failed f : result.failed()) {
            out.printf("  %-14s %s  %s, written %s ago: %s%n", "NOT removed", f.entry().path(), bytes(f.entry().bytes()),
                    age(now - f.entry().modified()), f.reason());
        }
        out.printf("hnswseg vacuum: %s %d unlisted files (%s)%s%n", dryRun ? "would remove" : "removed", result.removed().size(),
                bytes(removedBytes), kept);
        out.flush();
        if (!result.failed().isEmpty()) {
            spec.commandLine().getErr().printf("hnswseg vacuum: error: %d unlisted file%s could not be removed (named above), the"
                    + " first: %s: %s%n", result.failed().size(), result.failed().size() == 1 ? "" : "s",
                    result.failed().get(0).entry().path(), result.failed().get(0).reason());
            return 1;
        }
        return 0;
    }

    private static List<Vacuum.Entry> sorted(List<Vacuum.Entry> entries) {
        return entries.stream().sorted(Comparator.comparing(Vacuum.Entry::path)).toList();
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        do {
            v /= 1024;
            u++;
        } while (v >= 1024 && u < units.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** A duration for people: 0s, 45s, 12m, 3h 5m, 2d 4h. */
    static String age(long millis) {
        long s = Math.max(0, millis) / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + (s % 60 == 0 ? "" : " " + s % 60 + "s");
        }
        if (s < 86_400) {
            return s / 3600 + "h" + (s % 3600 / 60 == 0 ? "" : " " + s % 3600 / 60 + "m");
        }
        return s / 86_400 + "d" + (s % 86_400 / 3600 == 0 ? "" : " " + s % 86_400 / 3600 + "h");
    }

    private static String duration(Duration d) {
        return d.isZero() ? "0 (every unlisted file)" : age(d.toMillis());
    }
}
