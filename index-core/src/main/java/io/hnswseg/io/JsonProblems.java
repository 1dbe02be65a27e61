package io.hnswseg.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;

/** A JSON parser's complaint as a person reads it (shared by the manifest's reader and the HTTP endpoint). */
public final class JsonProblems {

    private JsonProblems() {
    }

    /**
     * Where and what, without the parser's advice to its own programmers (Jackson adds "enable JsonReadFeature.X to
     * allow", "but might if coercion ... was enabled", where its limits are configured, and a "[Source: REDACTED ...]"
     * location, none of which a user can act on). Text that is not JSON is "malformed JSON at line L, column C"; JSON
     * whose values do not fit names the field ({@code segments[0].count}).
     */
    public static String describe(JsonProcessingException e) {
        String field = e instanceof JsonMappingException mapping ? field(mapping) : "";
        if (e instanceof ValueInstantiationException && e.getCause() != null) {
            // The record's constructor refused the values: its reason, not "problem: java.lang.NullPointerException".
            Throwable cause = e.getCause();
            return (field.isEmpty() ? "" : "field " + field + ": ") + (cause instanceof NullPointerException
                    ? "a null where a value is needed" : String.valueOf(cause.getMessage()));
        }
        // "(1000, from `StreamReadConstraints...`)" becomes "(1000)".
        String problem = e.getOriginalMessage().replaceAll(", from `[^`]*`", "");
        for (String cut : new String[] {": enable ", "; enable ", "\n", " (for ", " (start marker at ", " (but might if ", " (but could if "}) {
            int at = problem.indexOf(cut);
            if (at > 0) {
                problem = problem.substring(0, at);
            }
        }
        if (!field.isEmpty()) {
            return "field " + field + ": " + problem;
        }
        JsonLocation where = e.getLocation();
        return where == null || where.getLineNr() < 0 ? "malformed JSON: " + problem
                : "malformed JSON at line " + where.getLineNr() + ", column " + where.getColumnNr() + ": " + problem;
    }

    /** The path of the value a mapping failed on, as {@code routing.centroids.count} or {@code segments[2]}; empty at the top. */
    private static String field(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference step : e.getPath()) {
            if (step.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(step.getFieldName());
            } else if (step.getIndex() >= 0) {
                path.append('[').append(step.getIndex()).append(']');
            }
        }
        return path.toString();
    }
}
