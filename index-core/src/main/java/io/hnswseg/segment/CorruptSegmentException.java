package io.hnswseg.segment;

/** A segment file that cannot be used: truncated, corrupted, or of a format this reader does not know. */
public final class CorruptSegmentException extends RuntimeException {

    private final String file;
    private final String problem;

    public CorruptSegmentException(String file, String problem) {
        this(file, problem, null);
    }

    /** @param cause the error the problem showed as, such as the InternalError of a mapped read that faulted */
    public CorruptSegmentException(String file, String problem, Throwable cause) {
        super("segment " + file + ": " + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    /** What is wrong with the file, without its name. */
    public String problem() {
        return problem;
    }

    /** The file (or object) the problem was found in. */
    public String file() {
        return file;
    }
}
