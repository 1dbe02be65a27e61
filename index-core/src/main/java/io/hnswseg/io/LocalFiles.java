package io.hnswseg.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The local files a command writes beside its real output (a report, a summary): checked before the
 * command does its work, written whole or not at all, and their failures told in words. A report written
 * over its own command's input once replaced a dataset with JSON.
 */
public final class LocalFiles {

    private LocalFiles() {
    }

    /**
     * Refuses, before any work, to write {@code out} (given as {@code option}) when it is a directory, when it
     * is or lies inside one of {@code inputs} (files or directories the command reads or writes, such as an
     * index or a Parquet table; null entries are skipped; compared with symbolic links resolved, as far as the
     * paths exist), or when it exists and {@code overwrite} is false. Null {@code out}: nothing to check.
     *
     * @throws IllegalArgumentException naming the option, the file and what to do
     */
    public static void checkOutput(String option, Path out, boolean overwrite, Path... inputs) throws IOException {
        if (out == null) {
            return;
        }
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException(option + " " + out + " is a directory: give the file to write");
        }
        Path target = real(out);
        for (Path input : inputs) {
            if (input == null) {
                continue;
            }
            Path in = real(input);
            if (target.equals(in)) {
                throw new IllegalArgumentException(option + " " + out + " is a file this command reads (" + input + "): choose another "
                        + option);
            }
            if (target.startsWith(in)) {
                // Review helper 29: a report into the index replaced its manifest; one into the input table broke it.
                throw new IllegalArgumentException(option + " " + out + " lies inside " + input + ", which this command reads or writes:"
                        + " choose another " + option);
            }
        }
        if (Files.exists(out) && !overwrite) {
            throw new IllegalArgumentException(option + " " + out + " already exists: pass --overwrite to replace it, or choose another "
                    + option);
        }
    }

    /**
     * {@code path} absolute, with its symbolic links resolved as far as it exists and the rest appended:
     * through a link to an index, {@code link/report.json} lies inside the index.
     */
    public static Path real(Path path) throws IOException {
        Path p = path.toAbsolutePath().normalize();
        Path existing = p;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing == null ? p : existing.toRealPath().resolve(existing.relativize(p));
    }

    /**
     * The local path of a {@code file:} URI, read the way the build and search-job (Hadoop's {@code Path})
     * read it: what follows the scheme and an empty or {@code localhost} authority is the path as written,
     * spaces and {@code %} included, so that every command finds an index under the name the build gave it.
     * A strict URI parse would refuse a space and decode {@code %20}, naming another directory.
     *
     * @throws IllegalArgumentException for another host, or no path
     */
    public static Path fileUriPath(String uri) {
        String path = uri.substring("file:".length());
        if (path.startsWith("//")) {
            int slash = path.indexOf('/', 2);
            String host = slash < 0 ? path.substring(2) : path.substring(2, slash);
            if (!host.isEmpty() && !host.equalsIgnoreCase("localhost")) {
                throw new IllegalArgumentException(uri + ": a file: URI on host " + host + " is not a local path (give the path, or file:///path)");
            }
            path = slash < 0 ? "/" : path.substring(slash);
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException(uri + ": no path after file:");
        }
        return Path.of(path);
    }

    /**
     * The local path a URI names: a plain path, or a {@code file:} URI ({@link #fileUriPath}); cut before its
     * first component with a glob character, whose matches lie under what is left. Null for null, another
     * scheme or another host.
     */
    public static Path pathOf(String uri) {
        if (uri == null || uri.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*") && !uri.startsWith("file:")) {
            return null;
        }
        String path;
        try {
            path = uri.startsWith("file:") ? fileUriPath(uri).toString() : uri;
        } catch (IllegalArgumentException notLocal) {
            return null;
        }
        int glob = path.replaceAll("[*?\\[{].*", "").length();
        if (glob < path.length()) {
            int slash = path.lastIndexOf('/', glob);
            path = slash < 0 ? "." : slash == 0 ? "/" : path.substring(0, slash);
        }
        return Path.of(path);
    }

    /** Writes {@code bytes} to {@code out} through a temporary file beside it, so it holds all of them or stays as it was. */
    public static void writeWhole(Path out, byte[] bytes) throws IOException {
        writeWhole(out, stream -> stream.write(bytes));
    }

    /** What a whole write streams into its temporary file. */
    public interface Body {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /**
     * Writes what {@code body} streams to {@code out} through a temporary file of its own beside it (no fixed
     * name that another run or a user's file could hold), so {@code out} holds all of it or stays as it was.
     */
    public static void writeWhole(Path out, Body body) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = createTemporary(parent, out.getFileName().toString(), ".tmp");
        try {
            try (java.io.OutputStream stream = Files.newOutputStream(tmp)) {
                body.writeTo(stream);
            }
            // A temporary file is its owner's alone; the file it becomes is readable as a plain write leaves it
            // (review helper 29), or keeps the permissions of the one it replaces.
            try {
                Files.setPosixFilePermissions(tmp, Files.exists(out) ? Files.getPosixFilePermissions(out)
                        : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // Not a POSIX file system: its defaults stand.
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            discardTemporary(tmp);
        }
    }

    /** Temporary files being written; removed by a shutdown hook when the JVM ends before their writers are done. */
    private static final class Unfinished {
        static final java.util.Set<Path> FILES = java.util.concurrent.ConcurrentHashMap.newKeySet();

        static {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    for (Path p : FILES) {
                        try {
                            Files.deleteIfExists(p);
                        } catch (IOException | RuntimeException e) {
                            // Ending anyway: a file that cannot be removed now is left, as it would be without the hook.
                        }
                    }
                }, "hnswseg-unfinished-files"));
            } catch (IllegalStateException shuttingDown) {
                // First used while the JVM already ends (a search during a server's drain): its writers' own
                // clean-up is all there is, as before the hook.
            }
        }
    }

    /**
     * An empty temporary file in {@code dir} (named {@code prefix}, random digits, {@code suffix}) that is removed if
     * the JVM ends, by a signal (SIGTERM, Ctrl-C) or an exit, before {@link #discardTemporary} is called for it: an
     * interrupted write leaves nothing beside its target. ({@code kill -9} leaves it, as it leaves everything.)
     */
    public static Path createTemporary(Path dir, String prefix, String suffix) throws IOException {
        Path tmp = Files.createTempFile(dir, prefix, suffix);
        Unfinished.FILES.add(tmp);
        return tmp;
    }

    /** Deletes a {@link #createTemporary} file if it is still there (its write failed, or it was moved into place) and forgets it. */
    public static void discardTemporary(Path tmp) throws IOException {
        try {
            Files.deleteIfExists(tmp);
        } finally {
            Unfinished.FILES.remove(tmp);
        }
    }

    /**
     * A file system error in words: the JDK's exceptions for a missing or existing file carry the path alone
     * as their message ({@code error: res.ivecs}).
     */
    public static String describe(Throwable e) {
        String message = e.getMessage();
        if (e instanceof NoSuchFileException n) {
            // A reason of ours ("no manifest: not an hnswseg index, ...") says more than the JDK's words.
            return n.getReason() != null ? n.getFile() + ": " + n.getReason() : "no such file or directory: " + n.getFile();
        }
        if (e instanceof FileAlreadyExistsException f) {
            return "already exists: " + f.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (e instanceof NotDirectoryException d) {
            return "not a directory: " + d.getFile();
        }
        if (e instanceof DirectoryNotEmptyException d) {
            return "directory not empty: " + d.getFile();
        }
        if (e instanceof java.nio.file.InvalidPathException p && String.valueOf(p.getReason()).contains("unmappable")) {
            // Java names files in the locale's character set: under C or POSIX a non-ASCII path cannot be named at all,
            // and the JDK's words were "Malformed input or input contains unmappable characters: ?????" (probe helper 89).
            return "path " + p.getInput() + " cannot be named in this JVM's file name encoding ("
                    + System.getProperty("sun.jnu.encoding") + "): run Java under a UTF-8 locale (LC_ALL=C.UTF-8; bin/hnswseg does"
                    + " so under C or POSIX)";
        }
        if (e.getCause() != null && (message == null || message.equals(e.getCause().toString()))) {
            // A wrapper that says nothing of its own (new RuntimeException(cause), as a thread pool's hand-off
            // does): its cause's words, not its class name (eval said "CorruptSegmentException: ...").
            return describe(e.getCause());
        }
        return message == null ? e.toString() : message;
    }
}
