package io.hnswseg.spark;

/** Input the job cannot index: the message names the row (id), the field and what was expected. */
public final class InvalidInputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }
}
