package io.hnswseg.http;

import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.reader.IndexReader;

import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a server knows of the index at its location: whether a build has replaced the one it serves, and, for a
 * following server, the swap to the new one. Its checks run on the server's one checking thread.
 */
final class IndexFollower {

    private final ServedIndex index;
    /** Whether the server reopens its index when a build replaces it at its location (else it only says so). */
    private final boolean follows;
    /** Null while the index served is the one at its location; else what /health and /stats say about it. */
    private volatile String replaced;
    /** Indexes opened in place of the one served since the start. */
    private final LongAdder reloads = new LongAdder();

    IndexFollower(ServedIndex index, boolean follows) {
        this.index = index;
        this.follows = follows;
    }

    /** Null while the index served is the one at its location; else what /health and /stats say about it. */
    String replaced() {
        return replaced;
    }

    /** Indexes opened in place of the one served since the start. */
    long reloads() {
        return reloads.sum();
    }

    /**
     * Reads the manifest at the served index's location again; once it differs (a build with {@code
     * --overwrite}), a following server opens the new index and swaps it in, and another says it is stale in
     * the log, /health and /stats. The probe helper of the eighteenth stop found servers answering the replaced
     * index with nothing saying so, until a vacuum removed its files and every search failed.
     */
    void check() {
        ServedIndex.Generation g = index.acquire();
        if (g == null) {
            return;
        }
        String was = replaced;
        try {
            IndexManifest there;
            try {
                there = g.reader.manifestAtSource();
            } catch (IOException | RuntimeException e) {
                if (IndexReader.answeredByStore(e)) {
                    // The index was removed, its manifest damaged, or access to it refused. Probe helper 72 found /health
                    // saying ok meanwhile; the opened index still answers, as after a replacement.
                    say("at " + g.reader.location() + " can no longer be opened (" + io.hnswseg.io.LocalFiles.describe(e) + "): this"
                            + " server still answers from the index it opened", was);
                }
                // Else a store that does not answer now says nothing about the index: the last answer stands.
                return;
            }
            if (there.equals(g.reader.manifest())) {
                replaced = null;
                return;
            }
            String what = "replaced at " + g.reader.location() + " by a newer build: this server still answers from the index it"
                    + " opened";
            if (follows) {
                if (there.equals(refused) && System.nanoTime() - refusedAt < RETRY_REFUSED_NANOS) {
                    // Opening it failed a moment ago (review helper 31: an index the server cannot take was opened,
                    // mapped and checked again every 30 s): wait for another build, or try again later. Said as then,
                    // in case a check in between said something else (review helper 79).
                    say(refusedSaid, was);
                    return;
                }
                try {
                    IndexReader next = g.reader.reopen();
                    try {
                        index.swap(next);
                    } catch (RuntimeException e) {
                        next.close();
                        throw e;
                    }
                    replaced = null;
                    refused = null;
                    reloads.increment();
                    LOG.log(System.Logger.Level.INFO, String.format("serving the new index at %s: %d segment%s, %d vectors of dimension %d;"
                                    + " searches already running finish on the one it replaced", next.location(), next.segmentCount(),
                            next.segmentCount() == 1 ? "" : "s", next.size(), next.dimension()));
                    return;
                } catch (IOException | RuntimeException e) {
                    if (IndexReader.mayPass(e)) {
                        // The store failed the download (an outage, a timeout): the index may be fine, so the next check tries it.
                        what += ", because the new one cannot be downloaded now (" + io.hnswseg.io.LocalFiles.describe(e)
                                + "); tried again in " + SearchServer.INDEX_CHECK_EVERY.toSeconds() + " s";
                    } else {
                        refused = there;
                        refusedAt = System.nanoTime();
                        what += ", because the new one cannot be served (" + io.hnswseg.io.LocalFiles.describe(e) + "); a later build is"
                                + " tried when it lands, this one again in " + RETRY_REFUSED_NANOS / 60_000_000_000L + " minutes";
                        refusedSaid = what;
                    }
                }
            } else {
                what += "; restart it to serve the new one (a vacuum may remove the old one's files meanwhile, unless its reader holds a lease)";
            }
            say(what, was);
        } finally {
            g.release();
        }
    }

    /** Makes {@code what} the index's state in /health and /stats, and logs it when it differs from {@code was}. */
    private void say(String what, String was) {
        replaced = what;
        if (!what.equals(was)) {
            LOG.log(System.Logger.Level.WARNING, "the index " + what);
        }
    }

    /** A replacing index that could not be served is tried again after this long (sooner if another replaces it). */
    private static final long RETRY_REFUSED_NANOS = 5 * 60_000_000_000L;
    /** The manifest of the replacing index last refused, and when (touched by the checking thread only). */
    private IndexManifest refused;
    private long refusedAt;
    /** What /health said when {@link #refused} was refused. */
    private String refusedSaid;

    /** The server's logger: an operator filters the server's words by one name. */
    private static final System.Logger LOG = System.getLogger(SearchServer.class.getName());
}
