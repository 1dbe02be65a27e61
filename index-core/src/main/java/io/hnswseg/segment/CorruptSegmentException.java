package io.hnswseg.segment;

/** A segment file that cannot be used: truncated, corrupted, or of a format this reader does not know. */
public final class CorruptSegmentException extends RuntimeException {

    private final String file;

    public CorruptSegmentException(String file, String problem) {
        super("segment " + file + ": " + problem);
        this.file = file;
    }

    /** The file (or object) the problem was found in. */
    public String file() {
        return file;
    }
}
