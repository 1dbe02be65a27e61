package io.hnswseg.reader;

import io.hnswseg.manifest.IndexManifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** An index in a local (or locally mounted) directory; segments are mapped where they are. */
final class LocalSource implements IndexSource {

    private final Path dir;

    LocalSource(Path dir) {
        this.dir = dir;
    }

    @Override
    public String location() {
        return dir.toString();
    }

    @Override
    public byte[] manifest() throws IOException {
        Path manifest = dir.resolve(IndexManifest.FILE_NAME);
        if (Files.isRegularFile(dir)) {
            throw new IOException(dir + " is a file, not an index directory (give the directory that holds "
                    + IndexManifest.FILE_NAME + ")");
        }
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such index directory");
        }
        if (!Files.isRegularFile(manifest)) {
            throw new NoSuchFileException(manifest.toString(), null,
                    "no manifest: not an hnswseg index, or its build never committed");
        }
        return Files.readAllBytes(manifest);
    }

    @Override
    public byte[] read(String relativePath) throws IOException {
        return Files.readAllBytes(listed(relativePath));
    }

    @Override
    public long storedBytes(String relativePath) throws IOException {
        return Files.size(listed(relativePath));
    }

    /** The file the manifest lists at {@code relativePath}; a missing one is a NoSuchFileException saying so. */
    private Path listed(String relativePath) throws NoSuchFileException {
        Path file = dir.resolve(relativePath);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "file listed in the manifest is missing");
        }
        return file;
    }

    @Override
    public Path segment(IndexManifest.Segment segment) throws IOException {
        Path file = dir.resolve(segment.path());
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "segment listed in the manifest is missing");
        }
        long size = Files.size(file);
        if (size != segment.bytes()) {
            throw new IOException("segment " + file + " has " + size + " bytes, the manifest says " + segment.bytes()
                    + (size < segment.bytes() ? ": the file is truncated" : ""));
        }
        return file;
    }

    @Override
    public void writeBeside(String name, byte[] content) throws IOException {
        Files.write(dir.resolve(name), content);
    }

    @Override
    public void deleteBeside(String name) throws IOException {
        Files.deleteIfExists(dir.resolve(name));
    }

    @Override
    public boolean verifiesOnFetch() {
        return false;
    }
}
