package io.hnswseg.io;

import java.util.Locale;

/** The three vecs formats, by the size and kind of their components. */
public enum VecsFormat {
    /** float32 components. */
    FVECS(4),
    /** int32 components (ground truth files). */
    IVECS(4),
    /** unsigned 8-bit components (e.g. SIFT1B), read as floats 0..255. */
    BVECS(1);

    private final int componentBytes;

    VecsFormat(int componentBytes) {
        this.componentBytes = componentBytes;
    }

    public int componentBytes() {
        return componentBytes;
    }

    /** The format named by a file's extension. */
    public static VecsFormat fromFileName(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        for (VecsFormat f : values()) {
            if (lower.endsWith("." + f.name().toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException(fileName + ": unknown vector file extension (expected .fvecs, .ivecs or .bvecs)");
    }
}
