package io.hnswseg.manifest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The manifest's own checksum: its last field, {@code "manifest_crc32c"}, holds the CRC32C of every byte before the
 * comma that opens it. Segments and the centroids file carried checksums, the manifest none, so one altered on its way
 * (a plain-HTTP store) was followed as written: other defaults, and a vacuum that deleted the live segment it no
 * longer named (probe helper 94). A manifest without the field (written before it, or by hand) is read unchecked;
 * readers that predate it read past it as an unknown field.
 */
final class ManifestChecksum {

    static final String FIELD = "manifest_crc32c";
    private static final byte[] KEY = ("\"" + FIELD + "\"").getBytes(StandardCharsets.US_ASCII);

    private ManifestChecksum() {
    }

    /** {@code json} (one object, as Jackson writes it) with the checksum field added last. */
    static byte[] seal(byte[] json) {
        int close = json.length - 1;
        while (close >= 0 && json[close] != '}') {
            close--;
        }
        int content = trimmedEnd(json, close);
        CRC32C crc = new CRC32C();
        crc.update(json, 0, content);
        byte[] tail = (",\n  \"" + FIELD + "\" : " + crc.getValue() + "\n}").getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = Arrays.copyOf(json, content + tail.length);
        System.arraycopy(tail, 0, sealed, content, tail.length);
        return sealed;
    }

    /** Whether {@code json} has the field (checked or not). */
    static boolean present(byte[] json) {
        return lastIndexOf(json, KEY) >= 0;
    }

    /**
     * Checks the field where a build writes it, if there is one.
     *
     * @return whether there was one (then checked)
     * @throws InvalidManifestException when the bytes before it are not those it was computed on
     */
    static boolean check(byte[] json, String name) {
        int key = lastIndexOf(json, KEY);
        if (key < 0) {
            return false;
        }
        int comma = trimmedEnd(json, key) - 1;
        int i = key + KEY.length;
        while (i < json.length && isSpace(json[i])) {
            i++;
        }
        long stored = -1;
        if (i < json.length && json[i] == ':') {
            i++;
            while (i < json.length && isSpace(json[i])) {
                i++;
            }
            int digits = i;
            long value = 0;
            while (i < json.length && json[i] >= '0' && json[i] <= '9' && i - digits < 11) {
                value = value * 10 + (json[i++] - '0');
            }
            stored = i > digits ? value : -1;
        }
        // Nothing but the object's end after it: fields added there were covered by no checksum (probe helper 97).
        while (i < json.length && isSpace(json[i])) {
            i++;
        }
        boolean last = i < json.length && json[i] == '}' && trimmedEnd(json, json.length) == i + 1;
        if (comma < 0 || json[comma] != ',' || stored < 0 || !last) {
            throw new InvalidManifestException(name, "field " + FIELD + " is not a number after the last other field, where a build"
                    + " writes it");
        }
        CRC32C crc = new CRC32C();
        crc.update(json, 0, comma);
        if (crc.getValue() != stored) {
            throw new InvalidManifestException(name, String.format("its bytes have CRC32C 0x%08x, but its %s field says 0x%08x: the"
                    + " manifest changed after its build wrote it (damaged on its way or on the store, or edited; an edited manifest is"
                    + " read once that field is removed)", crc.getValue(), FIELD, stored));
        }
        return true;
    }

    /** The end of {@code json[0, end)} without trailing white space. */
    private static int trimmedEnd(byte[] json, int end) {
        while (end > 0 && isSpace(json[end - 1])) {
            end--;
        }
        return end;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    private static int lastIndexOf(byte[] bytes, byte[] part) {
        outer:
        for (int i = bytes.length - part.length; i >= 0; i--) {
            for (int j = 0; j < part.length; j++) {
                if (bytes[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
