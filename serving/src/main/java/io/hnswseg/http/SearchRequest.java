package io.hnswseg.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Iterator;
import java.util.List;

/**
 * A parsed {@code POST /search} body: the one place that reads and checks its fields.
 *
 * @param vector the query, of the index's dimension, every component finite
 * @param k      results wanted, 1..{@link SearchServer#MAX_K} (default 10)
 * @param ef     search beam, k..{@link SearchServer#MAX_EF} (default: the server's ef, raised to k)
 * @param nprobe segments visited on a k-means index, 0 = all (default: the server's nprobe)
 * @param idsAsStrings answer the ids as JSON strings (default false): JavaScript's {@code JSON.parse} reads a number
 *               past 2^53 as the nearest double, so a browser or Node client got another id for 1234567890123456789
 *               (1234567890123456800) without a word
 */
record SearchRequest(float[] vector, int k, int ef, int nprobe, boolean idsAsStrings) {

    /**
     * Strict: a body with anything after its object ({@code {...} xyz}) is malformed, not a request. Decimals are read
     * exactly and rounded to float32 once: through a double, a component within a hair of a float32 rounding midpoint
     * lands on the midpoint and can round one unit in the last place the wrong way.
     */
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** A request the client got wrong: answered with 400 and the message. */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }

    /** The fields a body may have, in the order messages list them. */
    private static final List<String> FIELDS = List.of("vector", "k", "ef", "nprobe", "ids_as_strings");

    /**
     * Parses and checks a body against an index of {@code dimension}; a request without ef or nprobe gets
     * the server's. The reader checks nprobe against the index's segments.
     */
    static SearchRequest parse(byte[] body, int dimension, SearchServer.Defaults defaults) throws BadRequest {
        if (new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            throw new BadRequest("empty body: expected a JSON object like {\"vector\": [...], \"k\": 10}");
        }
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BadRequest(io.hnswseg.io.JsonProblems.describe(e));
        } catch (IOException e) {
            throw new BadRequest("unreadable body: " + e.getMessage());
        }
        if (request == null || !request.isObject()) {
            throw new BadRequest("expected a JSON object like {\"vector\": [...], \"k\": 10, \"ef\": 64, \"nprobe\": 2}");
        }
        // A misspelt field ("topk", "nprob") would otherwise be searched with the defaults, the typo unnoticed.
        for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new BadRequest("unknown field '" + name + "': a search takes " + String.join(", ", FIELDS));
            }
        }
        JsonNode vector = request.get("vector");
        if (vector == null || !vector.isArray()) {
            throw new BadRequest("field 'vector' must be an array of numbers");
        }
        // Element types first: ["1", "2"] is a vector of strings, whatever its length.
        for (int i = 0; i < vector.size(); i++) {
            if (!vector.get(i).isNumber()) {
                throw new BadRequest("vector[" + i + "] is not a number: " + vector.get(i));
            }
        }
        if (vector.size() != dimension) {
            throw new BadRequest("field 'vector' has dimension " + vector.size() + ", the index has " + dimension);
        }
        float[] query = new float[vector.size()];
        for (int i = 0; i < query.length; i++) {
            JsonNode x = vector.get(i);
            query[i] = x.floatValue();
            if (!Float.isFinite(query[i])) {
                // Past a double's range the parser holds Infinity, which would print as the string "Infinity".
                throw new BadRequest("vector[" + i + "] is not a finite float: " + (Double.isFinite(x.doubleValue()) ? x
                        : "beyond the range of a double"));
            }
        }
        int k = intField(request, "k", 10, 1, SearchServer.MAX_K);
        int ef = intField(request, "ef", Math.max(defaults.ef(), k), k, SearchServer.MAX_EF);
        // Its range depends on the index: the reader checks it, with the one message for every caller.
        int nprobe = intField(request, "nprobe", defaults.nprobe(), Integer.MIN_VALUE, Integer.MAX_VALUE);
        JsonNode asStrings = request.get("ids_as_strings");
        if (asStrings != null && !asStrings.isBoolean() && !asStrings.isNull()) {
            throw new BadRequest("field 'ids_as_strings' must be true or false, got " + asStrings);
        }
        return new SearchRequest(query, k, ef, nprobe, asStrings != null && asStrings.asBoolean());
    }

    private static boolean isWhole(java.math.BigDecimal x) {
        return x.signum() == 0 || x.stripTrailingZeros().scale() <= 0;
    }

    private static int intField(JsonNode request, String name, int fallback, int min, int max) throws BadRequest {
        JsonNode node = request.get(name);
        if (node == null || node.isNull()) {
            return fallback;
        }
        String text = node.asText();
        if (node.isFloatingPointNumber() && Double.isFinite(node.doubleValue()) && isWhole(node.decimalValue())) {
            // 10.0 is the integer 10: clients whose numbers are all doubles send it so (probe helper 102); 1e18 is an
            // integer too, out of every field's range. Judged on the exact decimal: 10.000000000000000001 is a double's
            // 10, but not an integer (review helper 110).
            double whole = node.doubleValue();
            node = Math.abs(whole) < 0x1p62 ? com.fasterxml.jackson.databind.node.LongNode.valueOf((long) whole)
                    : com.fasterxml.jackson.databind.node.LongNode.valueOf(whole < 0 ? Long.MIN_VALUE : Long.MAX_VALUE);
        }
        if (!node.isIntegralNumber()) {
            throw new BadRequest("field '" + name + "' must be an integer, got " + (node.isNumber() && !Double.isFinite(node.doubleValue())
                    ? "a number beyond the range of a double" : node));
        }
        if (!node.canConvertToInt()) {
            // Bounds only where the field has its own: nprobe's depend on the index, which the reader checks.
            throw new BadRequest("field '" + name + "' is " + text + (min == Integer.MIN_VALUE ? ", far out of range"
                    : ", must be in [" + min + ", " + max + "]"));
        }
        int value = node.intValue();
        if (value < min || value > max) {
            throw new BadRequest("field '" + name + "' is " + value + ", must be in [" + min + ", " + max + "]");
        }
        return value;
    }
}
