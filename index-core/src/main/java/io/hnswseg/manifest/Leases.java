package io.hnswseg.manifest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The leases that keep an index's files from a vacuum: small files in the index's directory that a build, a search
 * job or a reader writes when it starts, writes again every {@link #RENEW_EVERY} and deletes when it ends. A vacuum
 * keeps what a live lease holds, whatever its age; a lease not renewed for {@link #LAPSES_AFTER} (its holder was
 * killed) has lapsed, and is removed with what it held. The Spark job writes and judges them through Hadoop's file
 * systems, the reader through its own store: this class is the format both agree on.
 *
 * <p>A reader's lease, {@code _hnswseg-read-<random id>}, holds the paths of the files it reads (relative to the index's
 * directory), one a line, then the line {@code #end}.
 */
public final class Leases {

    /** How often a holder writes its lease again. */
    public static final Duration RENEW_EVERY = Duration.ofSeconds(30);
    /** How long after its last renewal a lease has lapsed: six renewals missed. */
    public static final Duration LAPSES_AFTER = Duration.ofMinutes(3);
    /** The name of a reader's lease: this, then a random id. */
    public static final String READ_PREFIX = "_hnswseg-read-";
    /**
     * The last line of a reader's lease: a renewal rewrites the file, and a vacuum reading it meanwhile on HDFS or a
     * local disk found it empty, a live lease holding nothing, and would have removed the files it held (probe helper 90:
     * 9 of 208 vacuums against a lease renewed without pause). A lease without it is read as holding every file.
     */
    private static final String READ_LEASE_END = "#end";

    private Leases() {
    }

    /** A new reader's lease's file name, unlike any other reader's. */
    public static String newReadLeaseName() {
        return READ_PREFIX + UUID.randomUUID();
    }

    /** Whether {@code name} (a file name in an index's directory) is a reader's lease. */
    public static boolean isReadLease(String name) {
        return name.startsWith(READ_PREFIX) && name.length() > READ_PREFIX.length();
    }

    /** What a reader's lease of the files {@code paths} holds. */
    public static byte[] readLease(Iterable<String> paths) {
        return (String.join("\n", paths) + "\n" + READ_LEASE_END).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The paths a reader's lease holds, or null when it is not whole: being rewritten, or an earlier version's, either of
     * which may hold any file.
     */
    public static List<String> heldBy(byte[] lease) {
        String content = new String(lease, StandardCharsets.UTF_8);
        if (!content.endsWith("\n" + READ_LEASE_END)) {
            return null;
        }
        List<String> paths = new ArrayList<>();
        for (String path : content.split("\n")) {
            if (!path.isEmpty() && !path.equals(READ_LEASE_END)) {
                paths.add(path);
            }
        }
        return paths;
    }

    /**
     * The files of the index that {@code manifest} lists, with their sizes: its segments, then its centroids if it has
     * them; each path relative to the index's directory, as {@link IndexManifest#normalPath} writes it.
     */
    public static Map<String, Long> filesOf(IndexManifest manifest) {
        Map<String, Long> files = new LinkedHashMap<>();
        for (IndexManifest.Segment s : manifest.segments()) {
            files.put(IndexManifest.normalPath(s.path()), s.bytes());
        }
        if (manifest.routed()) {
            files.put(IndexManifest.normalPath(manifest.routing().centroids().path()), manifest.routing().centroids().bytes());
        }
        return files;
    }
}
