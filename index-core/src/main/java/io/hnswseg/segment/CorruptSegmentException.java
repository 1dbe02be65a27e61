package io.hnswseg.segment;

/** A segment file that cannot be used: truncated, corrupted, or of a format this reader does not know. */
public final class CorruptSegmentException extends RuntimeException {

    private final String file;

    public CorruptSegmentException(String file, String problem) {
        this(file, problem, null);
    }

    /** @param cause the error the problem showed as, such as the InternalError of a mapped read that faulted */
    public CorruptSegmentException(String file, String problem, Throwable cause) {
        super("segment " + file + ": " + problem, cause);
        this.file = file;
    }

    /** The file (or object) the problem was found in. */
    public String file() {
        return file;
    }
}
