package io.hnswseg.manifest;

/** A manifest that cannot be used: unreadable JSON, an unknown format version, inconsistent figures. */
public final class InvalidManifestException extends RuntimeException {

    public InvalidManifestException(String manifest, String problem) {
        super("manifest " + manifest + ": " + problem);
    }
}
