package io.hnswseg.http;

import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.reader.IndexReader;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The reader a server answers from, and its replacement when a build has replaced the index at its location.
 * A search holds the generation it started with to its end: the new reader answers every search that starts
 * after a swap, and the old one is closed (its segments unmapped) only when the last search holding it ends,
 * never under a search.
 */
final class ServedIndex {

    private static final System.Logger LOG = System.getLogger(ServedIndex.class.getName());

    /** One reader and the defaults of requests that name no ef or nprobe, held by the searches using it. */
    static final class Generation {
        final IndexReader reader;
        final SearchServer.Defaults defaults;
        /** Whether the server closes the reader once done with it (it opened it, or was handed it). */
        private final boolean owned;
        /** Searches using it, plus one while it is the current generation; it is closed when this reaches zero. */
        private final AtomicInteger holds = new AtomicInteger(1);
        /**
         * The manifest served when this generation's last hold ends, once a swap replaced it (set before the server's
         * hold ends): what is served then, not what replaced it, since a later swap may bring its files back.
         */
        private volatile java.util.function.Supplier<IndexManifest> replacedBy;

        private Generation(IndexReader reader, SearchServer.Defaults defaults, boolean owned) {
            this.reader = reader;
            this.defaults = defaults;
            this.owned = owned;
        }

        /** Ends one hold (a search's, or the server's own at a swap or close). */
        void release() {
            if (holds.decrementAndGet() == 0 && owned) {
                reader.close();
                if (replacedBy != null) {
                    discardCopies();
                }
            }
        }

        /** Removes a replaced remote index's copies from the cache, which would otherwise grow by an index a rebuild. */
        private void discardCopies() {
            try {
                int removed = reader.discardCachedCopies(replacedBy.get());
                if (removed > 0) {
                    LOG.log(System.Logger.Level.INFO, "removed the cached copies of " + removed + " segment"
                            + (removed == 1 ? "" : "s") + " of the replaced index");
                }
            } catch (java.io.IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not remove the replaced index's cached copies: " + e.getMessage());
            }
        }
    }

    private final AtomicReference<Generation> current;
    /** The operator's ef and nprobe for requests that name none; null each: the served index's recommendation. */
    private final Integer ef;
    private final Integer nprobe;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private ServedIndex(Generation first, Integer ef, Integer nprobe) {
        this.current = new AtomicReference<>(first);
        this.ef = ef;
        this.nprobe = nprobe;
    }

    /** A reader that is never replaced, with fixed defaults; the caller keeps it and closes it. */
    static ServedIndex fixed(IndexReader reader, SearchServer.Defaults defaults) {
        return new ServedIndex(new Generation(reader, defaults, false), defaults.ef(), defaults.nprobe());
    }

    /**
     * A reader the server owns and may replace; {@code ef} and {@code nprobe} (null: each reader's
     * recommendation) are what requests that name none get from every reader served.
     *
     * @throws IllegalArgumentException when {@code nprobe} does not suit the reader's index
     */
    static ServedIndex owned(IndexReader reader, Integer ef, Integer nprobe) {
        return new ServedIndex(new Generation(reader, defaultsFor(reader, ef, nprobe), true), ef, nprobe);
    }

    /** The current generation, held until {@link Generation#release}; null once closed. */
    Generation acquire() {
        for (;;) {
            Generation g = current.get();
            int h = g.holds.get();
            if (h > 0 && g.holds.compareAndSet(h, h + 1)) {
                return g;
            }
            if (h == 0 && current.get() == g) {
                return null;
            }
            // Swapped out and drained meanwhile: the current generation has moved on.
        }
    }

    /** The current generation's defaults (a snapshot: a swap may follow). */
    SearchServer.Defaults defaults() {
        return current.get().defaults;
    }

    /**
     * Serves {@code next} from now on; the previous reader closes when its last search ends.
     *
     * @throws IllegalArgumentException when the operator's nprobe does not suit the new index (nothing is swapped)
     */
    synchronized void swap(IndexReader next) {
        Generation fresh = new Generation(next, defaultsFor(next, ef, nprobe), true);
        if (closed.get()) {
            next.close();
            return;
        }
        Generation old = current.getAndSet(fresh);
        old.replacedBy = () -> current.get().reader.manifest();
        old.release();
    }

    /** Ends the server's hold on the current reader (once): it closes (if the server's) when the last search ends. */
    synchronized void close() {
        if (closed.compareAndSet(false, true)) {
            current.get().release();
        }
    }

    private static SearchServer.Defaults defaultsFor(IndexReader reader, Integer ef, Integer nprobe) {
        if (nprobe != null && (nprobe < 0 || nprobe > reader.segmentCount() || (nprobe > 0 && !reader.routed()))) {
            throw new IllegalArgumentException("--nprobe must be " + (reader.routed() ? "in 0.." + reader.segmentCount()
                    : "0 (this index is not routed: every query visits all segments)") + ", got " + nprobe);
        }
        return new SearchServer.Defaults(ef != null ? ef : reader.defaultEf(), nprobe != null ? nprobe : reader.defaultNprobe());
    }
}
