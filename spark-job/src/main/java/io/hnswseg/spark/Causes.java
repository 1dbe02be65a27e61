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

    /**
     * The first line of {@code e}'s message (its class's name when it has none), to quote inside a sentence of ours: the
     * command line shows one line, and HDFS's messages run over several, which cut our advice after them (probe helper 90).
     */
    static String firstLine(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : firstLine(e.getMessage());
    }

    static String firstLine(String message) {
        int newline = message.indexOf('\n');
        return newline > 0 ? message.substring(0, newline) : message;
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
