package io.hnswseg.reader;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A segment that a reader opening segments lazily could not fetch just now: the object store failed or
 * timed out on every attempt of the download, an error that waiting may cure (unlike a missing object,
 * denied access or a corrupt file). The search fails; the next search that needs the segment fetches it
 * again. {@code serve} answers such a search 503 with {@code Retry-After}.
 */
public final class SegmentUnavailableException extends UncheckedIOException {

    SegmentUnavailableException(IOException cause) {
        super(cause.getMessage(), cause);
    }
}
