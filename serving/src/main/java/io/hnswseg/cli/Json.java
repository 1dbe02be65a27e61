package io.hnswseg.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.hnswseg.io.LocalFiles;

import java.io.IOException;
import java.nio.file.Path;

/** JSON output of the commands, pretty-printed, written whole or not at all. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {
    }

    static void write(Path file, Object value) throws IOException {
        LocalFiles.writeWhole(file, MAPPER.writeValueAsBytes(value));
    }
}
