package io.hnswseg.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/** A JSON parser's complaint as a person reads it (shared by the manifest's reader and the HTTP endpoint). */
public final class JsonProblems {

    private JsonProblems() {
    }

    /**
     * Where and what, without the parser's advice to its own programmers (Jackson adds "enable JsonReadFeature.X to
     * allow", where its limits are configured, and a "[Source: REDACTED ...]" location, none of which a user can act on).
     */
    public static String describe(JsonProcessingException e) {
        // "(1000, from `StreamReadConstraints...`)" becomes "(1000)".
        String problem = e.getOriginalMessage().replaceAll(", from `[^`]*`", "");
        for (String cut : new String[] {": enable ", "; enable ", "\n", " (for ", " (start marker at "}) {
            int at = problem.indexOf(cut);
            if (at > 0) {
                problem = problem.substring(0, at);
            }
        }
        JsonLocation where = e.getLocation();
        return where == null || where.getLineNr() < 0 ? "malformed JSON: " + problem
                : "malformed JSON at line " + where.getLineNr() + ", column " + where.getColumnNr() + ": " + problem;
    }
}
