package io.hnswseg.reader;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What went wrong with a reader's segments, for {@link IndexReader#health()}: segments a search found corrupt or
 * changed on disk (failed for good), segments a lazy reader could not open (failed until a later search opens them),
 * and segments it could not download just now (unavailable). Each is logged when it first fails, and again when it
 * opens after all.
 */
final class SegmentHealth {

    private static final System.Logger LOG = System.getLogger(IndexReader.class.getName());

    /** Segments that failed a search, by file. */
    private final Map<String, String> searchFailures = new ConcurrentHashMap<>();
    /** Segments a lazy reader could not open (missing, not the manifest's, corrupt), by their place in the index. */
    private final Map<String, String> openFailures = new ConcurrentHashMap<>();
    /** Segments a lazy reader could not download just now ({@link SegmentUnavailableException}), by place. */
    private final Map<String, String> unavailable = new ConcurrentHashMap<>();

    /** Segment file {@code name} failed a search with {@code problem}: queries that reach it fail from now on. */
    void searchFailed(String name, String problem) {
        if (searchFailures.putIfAbsent(name, problem) == null) {
            LOG.log(System.Logger.Level.WARNING, "segment failed a search; queries that reach it fail from now on: " + problem);
        }
    }

    /** The segment at {@code where} could not be opened: one entry per segment, of the latest failure's kind. */
    void openFailed(String where, RuntimeException failure) {
        boolean mayPass = failure instanceof SegmentUnavailableException;
        if ((mayPass ? unavailable : openFailures).put(where, failure.getMessage()) == null) {
            LOG.log(System.Logger.Level.WARNING, "cannot open segment " + where + " (searches that need it try again; a file refused as corrupt or not the"
                    + " manifest's only once it changed): " + failure.getMessage());
        }
        (mayPass ? openFailures : unavailable).remove(where);
    }

    /** The segment at {@code where} is open: whatever kept it from opening before is over. */
    void opened(String where) {
        boolean failedBefore = openFailures.remove(where) != null;
        failedBefore |= unavailable.remove(where) != null;
        if (failedBefore) {
            LOG.log(System.Logger.Level.INFO, "opened segment " + where + " after an earlier failure");
        }
    }

    IndexReader.Health snapshot() {
        Map<String, String> failed = new TreeMap<>(openFailures);
        failed.putAll(searchFailures);
        return new IndexReader.Health(failed.isEmpty(), failed, new TreeMap<>(unavailable));
    }
}
