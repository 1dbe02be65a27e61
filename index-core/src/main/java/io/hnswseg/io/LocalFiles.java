package io.hnswseg.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
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
     * is one of {@code inputs} (files the command reads; null entries and missing files are skipped), or when
     * it exists and {@code overwrite} is false. Null {@code out}: nothing to check.
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
        if (!Files.exists(out)) {
            return;
        }
        for (Path input : inputs) {
            if (input != null && Files.exists(input) && Files.isSameFile(out, input)) {
                throw new IllegalArgumentException(option + " " + out + " is a file this command reads (" + input + "): choose another "
                        + option);
            }
        }
        if (!overwrite) {
            throw new IllegalArgumentException(option + " " + out + " already exists: pass --overwrite to replace it, or choose another "
                    + option);
        }
    }

    /** Writes {@code bytes} to {@code out} through a temporary file beside it, so it holds all of them or stays as it was. */
    public static void writeWhole(Path out, byte[] bytes) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, out.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A file system error in words: the JDK's exceptions for a missing or existing file carry the path alone
     * as their message ({@code error: res.ivecs}).
     */
    public static String describe(Throwable e) {
        String message = e.getMessage();
        if (e instanceof NoSuchFileException n) {
            return "no such file or directory: " + n.getFile();
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
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getFile() + ": " + f.getReason();
        }
        return message == null ? e.toString() : message;
    }
}
