package io.hnswseg.segment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * What identifies the contents of a file cheaply, from one {@code stat}: its size, modification time and
 * identity (inode), and where the file system has one (POSIX), its status change time, which no user can
 * set back. Two equal stamps of a path say its file was very likely not written in between (a rewrite within
 * one tick of the file system's clock can pass unseen).
 *
 * @param key     the file system's identity of the file, null where it has none
 * @param changed the status change time, null where the file system has none
 * @param links   how many names the file has (hard links), 0 where the file system does not say
 */
public record FileStamp(long size, FileTime modified, Object key, Object changed, int links) {

    /** @throws java.nio.file.NoSuchFileException when there is no file at {@code path} */
    public static FileStamp of(Path path) throws IOException {
        try {
            Map<String, Object> a = Files.readAttributes(path, "unix:size,lastModifiedTime,fileKey,ctime,nlink");
            return new FileStamp((Long) a.get("size"), (FileTime) a.get("lastModifiedTime"), a.get("fileKey"), a.get("ctime"),
                    (Integer) a.get("nlink"));
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            return new FileStamp(a.size(), a.lastModifiedTime(), a.fileKey(), null, 0);
        }
    }

    /** The same file by inode; false where the file system has no inode to tell. */
    boolean sameFile(FileStamp other) {
        return key != null && key.equals(other.key);
    }

    /** How the file's size changed: in another inode, it was replaced; in the same, it shrank or grew. */
    String sizeChange(FileStamp now) {
        if (key != null && now.key != null && !key.equals(now.key)) {
            return "replaced by another file of the same name, " + size + " bytes then, " + now.size + " now";
        }
        return "was " + size + " bytes, now " + now.size + (now.size < size ? ": truncated" : "");
    }
}
