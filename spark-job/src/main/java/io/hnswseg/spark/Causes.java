package io.hnswseg.spark;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Walks an exception's causes. A failed Spark job wraps a task's exception in several of its own, so what a user
 * needs to read (our input error, the file a read failed on) is found down the chain, which may loop.
 */
final class Causes {

    private Causes() {
    }

    /** The first of {@code e} and its causes that {@code wanted} accepts, or null; each exception is looked at once. */
    static Throwable first(Throwable e, Predicate<Throwable> wanted) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            if (wanted.test(t)) {
                return t;
            }
        }
        return null;
    }

    /**
     * {@code said}, a new exception with the message a user needs, keeping {@code original} as suppressed rather than
     * as its cause: the one-line report shows the innermost cause's message, which would be the original's again.
     */
    static <E extends Throwable> E retold(E said, Throwable original) {
        said.addSuppressed(original);
        return said;
    }

    /** The last of {@code e}'s causes (itself when it has none), stopping where the chain loops. */
    static Throwable root(Throwable e) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Throwable root = e;
        while (seen.add(root) && root.getCause() != null && !seen.contains(root.getCause())) {
            root = root.getCause();
        }
        return root;
    }
}
