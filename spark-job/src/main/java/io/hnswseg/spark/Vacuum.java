package io.hnswseg.spark;

import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.manifest.Leases;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Removes the files of an index's directory that its committed manifest does not list: segments and
 * centroids of builds that were killed or failed, of attempts that lost, and of indexes replaced by
 * {@code --overwrite}, plus staged manifests and write probes. Only files older than a grace period go,
 * and only once the manifest itself is older than it, so a reader that opened the previous manifest
 * (and is still fetching its segments) or a build still writing is never cut off. Other files in the
 * directory are never touched. A zero grace period removes every unlisted file at once, whatever the ages
 * (and whatever the store's clock says), except those of a build still running: a run whose {@link BuildLease}
 * is live keeps all its files, however old (a build longer than the grace period lost its first segments), and
 * those a search still reads: the files a live reader's lease names ({@link BuildLease#takeForReading}) stay,
 * however old the manifest that replaced them (a search-job of the replaced index failed halfway).
 */
final class Vacuum {

    /** Default grace period. */
    static final Duration DEFAULT_GRACE = Duration.ofHours(1);

    /**
     * What was removed (or, in a dry run, would be), what was left for later and what was kept for the searches
     * reading it (with the lease holding each, where it could be read), paths relative to the index, the run ids of
     * builds running there (whose files were not looked at), and the store's time its files' ages were read against
     * ({@code clockRead} false: this machine's, the store's could not be read, and every lease there was taken as live).
     */
    record Result(List<Entry> removed, List<Entry> tooYoung, List<Entry> read, Map<String, String> leaseOf, Set<String> running,
                  List<Failed> failed, long storeNow, boolean clockRead) {
    }

    /** An unlisted file the store refused to delete, and its words why (the first line). */
    record Failed(Entry entry, String reason) {
    }

    /** One unlisted file: its path relative to the index, size and modification time (ms since the epoch). */
    record Entry(String path, long bytes, long modified) {
    }

    private Vacuum() {
    }

    /**
     * @param ownRun the run id of the build calling (its files are kept whatever its lease says: a store's clock
     *               behind the driver's must not make a build delete its own segments), or null
     * @throws InvalidInputException when a manifest exists but cannot be read (what it lists is unknown)
     */
    static Result run(FileSystem fs, Path root, Duration grace, String ownRun, boolean dryRun) throws IOException {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("negative grace period " + grace);
        }
        StoreClock clock = StoreClock.of(fs, root);
        long now = clock.now();
        long leaseNow = clock.leaseNow();
        // Zero: no age condition at all, so a store whose clock runs ahead of this one's cannot keep a file.
        long cutoff = grace.isZero() ? Long.MAX_VALUE : now - grace.toMillis();
        // Leases before the manifest: a build whose lease is gone by now has committed (or failed), so the
        // manifest read next lists its files if they are the index's (review helper 31: the other order could
        // miss both a just-ended lease and the manifest that lists its run).
        FileStatus[] rootFiles = list(fs, root);
        Set<String> running = BuildLease.live(rootFiles, leaseNow);
        Map<String, String> read = BuildLease.heldByReaders(fs, rootFiles, leaseNow);
        Path manifestPath = new Path(root, IndexManifest.FILE_NAME);
        Map<String, Long> listedBytes = Map.of();
        boolean manifestOld = true;
        FileStatus manifestStatus = status(fs, manifestPath);
        if (manifestStatus != null) {
            listedBytes = Leases.filesOf(readManifest(fs, manifestPath));
            manifestOld = manifestStatus.getModificationTime() <= cutoff;
        }
        Set<String> listed = new HashSet<>(listedBytes.keySet());
        FileStatus[][] built = {list(fs, new Path(root, "segments")), list(fs, new Path(root, "routing"))};
        refuseUnlike(fs, root, manifestPath, listedBytes, built);
        // And after listing the files: a build that began meanwhile wrote its lease before its first file, a search
        // its lease before its first read.
        FileStatus[] rootAfter = list(fs, root);
        long later = clock.leaseNow();
        running.addAll(BuildLease.live(rootAfter, later));
        Map<String, String> readAfter = BuildLease.heldByReaders(fs, rootAfter, later);
        if (read != null && readAfter != null) {
            read.putAll(readAfter);
        } else {
            read = null;
        }
        if (ownRun != null) {
            running.add(ownRun);
        }
        Kept kept = new Kept(listed, read, cutoff);
        List<Entry> removed = new ArrayList<>();
        String[] dirs = {"segments", "routing"};
        for (int d = 0; d < dirs.length; d++) {
            String dir = dirs[d];
            for (FileStatus f : built[d]) {
                String name = f.getPath().getName();
                if (builtName(dir, name) && !running.contains(runOfBuilt(name))) {
                    consider(fs, f, dir + "/" + name, kept, manifestOld, dryRun, removed);
                }
            }
        }
        for (FileStatus f : rootFiles) {
            String name = f.getPath().getName();
            String run = runOfTopLevel(name);
            boolean lapsedReader = Leases.isReadLease(name) && !BuildLease.isLive(f, leaseNow);
            if (f.isFile() && (run != null || lapsedReader || name.startsWith(IndexCommit.WRITE_PROBE_PREFIX)) && !running.contains(run)) {
                consider(fs, f, name, kept, true, dryRun, removed);
            }
        }
        return new Result(removed, kept.young, kept.read, read == null ? Map.of() : read, running, kept.failed, now, clock.measured());
    }

    /**
     * What keeps an unlisted file: the manifest listing it, a live reader's lease holding it ({@link #read}; every file
     * when {@code heldByReaders} is null, a lease that could not be read), its age or the manifest's below the grace
     * period ({@link #young}).
     */
    private record Kept(Set<String> listed, Map<String, String> heldByReaders, long cutoff, List<Entry> young, List<Entry> read,
                        List<Failed> failed) {
        Kept(Set<String> listed, Map<String, String> heldByReaders, long cutoff) {
            this(listed, heldByReaders, cutoff, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }
    }

    private static void consider(FileSystem fs, FileStatus f, String relative, Kept kept, boolean manifestOld, boolean dryRun,
                                 List<Entry> removed) throws IOException {
        if (!f.isFile() || kept.listed.contains(relative)) {
            return;
        }
        Entry entry = new Entry(relative, f.getLen(), f.getModificationTime());
        if (kept.heldByReaders == null ? relative.contains("/") : kept.heldByReaders.containsKey(relative)) {
            kept.read.add(entry);
            return;
        }
        if (f.getModificationTime() > kept.cutoff || !manifestOld) {
            kept.young.add(entry);
            return;
        }
        try {
            if (dryRun || fs.delete(f.getPath(), false)) {
                removed.add(entry);
            } else if (fs.exists(f.getPath())) {
                // A local disk says false where HDFS throws (a directory this user cannot write); gone is another's vacuum.
                kept.failed.add(new Failed(entry, "the file system did not delete it (permissions?)"));
            }
        } catch (IOException e) {
            // One file the store refuses (another user's, under a sticky bit) stopped the whole vacuum, and every build's
            // clean-up there with it (probe helper 90, review helper 92): the others go, and it is named.
            kept.failed.add(new Failed(entry, Causes.firstLine(e)));
        }
    }

    /**
     * Refuses to remove anything when the manifest lists a file that is not there, or not of the size it gives: it
     * does not describe this directory (altered in transit or on the store, or the listing is short), and the files
     * it leaves out may be the index's own (probe helper 94: one changed digit in a segment's name had vacuum delete
     * the live segment).
     */
    private static void refuseUnlike(FileSystem fs, Path root, Path manifestPath, Map<String, Long> listed, FileStatus[][] built)
            throws IOException {
        Map<String, Long> found = sizes(built);
        for (String path : listed.keySet()) {
            if (!found.containsKey(path)) {
                // Listed outside segments/ and routing/ (no build writes there, but a manifest may say so).
                FileStatus status = status(fs, new Path(root, path));
                if (status != null) {
                    found.put(path, status.getLen());
                }
            }
        }
        List<Unlike> unlike = unlike(listed, found);
        if (!unlike.isEmpty()) {
            Unlike first = unlike.get(0);
            throw new InvalidInputException(manifestPath + " lists " + first.path() + " of " + first.listed() + " bytes, but "
                    + (first.found() == null ? "there is no such file" : "that file holds " + first.found()) + ": the manifest does not"
                    + " describe this index (damaged, or the store's listing is incomplete), so not removing anything");
        }
    }

    /** The sizes of a build's files, by relative path, from the listings of {@code segments/} and {@code routing/}. */
    static Map<String, Long> sizes(FileStatus[][] built) {
        Map<String, Long> found = new HashMap<>();
        String[] dirs = {"segments", "routing"};
        for (int d = 0; d < dirs.length; d++) {
            for (FileStatus f : built[d]) {
                found.put(dirs[d] + "/" + f.getPath().getName(), f.getLen());
            }
        }
        return found;
    }

    /** A file a manifest lists at {@code listed} bytes that is missing ({@code found} null) or of another size. */
    record Unlike(String path, long listed, Long found) {

        String describe() {
            return path + (found == null ? "" : " (" + found + " bytes, not " + listed + ")");
        }
    }

    /** The files of {@code listed} (relative path to size) that {@code found} lacks or holds at another size. */
    static List<Unlike> unlike(Map<String, Long> listed, Map<String, Long> found) {
        List<Unlike> unlike = new ArrayList<>();
        for (Map.Entry<String, Long> e : listed.entrySet()) {
            Long size = found.get(e.getKey());
            if (size == null || size.longValue() != e.getValue()) {
                unlike.add(new Unlike(e.getKey(), e.getValue(), size));
            }
        }
        return unlike;
    }

    /** The run id a file of {@code segments/} or {@code routing/} is named after ({@code <run>-part-...}, {@code <run>-centroids...}). */
    static String runOfBuilt(String name) {
        return name.substring(0, Math.max(0, name.indexOf('-')));
    }

    /** The run id of a build's file in the index's own directory (a staged manifest or a lease), else null. */
    static String runOfTopLevel(String name) {
        String staged = IndexManifest.FILE_NAME + ".";
        if (name.startsWith(staged) && name.endsWith(".tmp") && name.length() > staged.length() + 4) {
            return name.substring(staged.length(), name.length() - ".tmp".length());
        }
        return BuildLease.runOf(name);
    }

    /**
     * Whether a file of {@code segments/} or {@code routing/} has a name a build gives (a segment, a centroids
     * file, or the checksum sidecar an older build's local writes left): a directory of these names may hold a
     * user's own files too, which are never removed.
     */
    private static boolean builtName(String dir, String name) {
        String ending = dir.equals("segments") ? ".hseg" : "-centroids.fvecs";
        return name.endsWith(ending) || (name.startsWith(".") && name.endsWith(ending + ".crc"));
    }


    /** The committed manifest; one that cannot be read stops any removal, since what it lists is unknown. */
    static IndexManifest readManifest(FileSystem fs, Path manifestPath) throws IOException {
        try (FSDataInputStream in = fs.open(manifestPath)) {
            return IndexManifest.read(in, manifestPath.toString());
        } catch (RuntimeException e) {
            throw new InvalidInputException(manifestPath + " cannot be read (" + Causes.firstLine(e) + "): not removing anything, "
                    + "since what it lists is unknown");
        }
    }

    /** The file's status, or null when it does not exist. */
    static FileStatus status(FileSystem fs, Path path) throws IOException {
        try {
            return fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    private static FileStatus[] list(FileSystem fs, Path dir) throws IOException {
        try {
            return fs.listStatus(dir);
        } catch (FileNotFoundException e) {
            return new FileStatus[0];
        }
    }

    /** Parses {@code 0}, {@code 90s}, {@code 30m}, {@code 2h}, {@code 7d}, or an ISO-8601 duration; never negative. */
    static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        Duration d = null;
        try {
            if (t.equals("0")) {
                d = Duration.ZERO;
            } else if (t.startsWith("p")) {
                d = Duration.parse(text.trim());
            } else {
                long n = Long.parseLong(t.substring(0, t.length() - 1));
                switch (t.charAt(t.length() - 1)) {
                    case 's' -> d = Duration.ofSeconds(n);
                    case 'm' -> d = Duration.ofMinutes(n);
                    case 'h' -> d = Duration.ofHours(n);
                    case 'd' -> d = Duration.ofDays(n);
                    default -> d = null;
                }
            }
        } catch (RuntimeException e) {
            // the error below
        }
        if (d == null || d.isNegative()) {
            throw new InvalidInputException("duration '" + text + "': expected e.g. 0, 90s, 30m, 2h, 7d (not negative)");
        }
        return d;
    }
}
