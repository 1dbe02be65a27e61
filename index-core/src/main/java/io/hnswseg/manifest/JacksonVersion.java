package io.hnswseg.manifest;

/**
 * The Jackson a JVM loaded, checked before a manifest is read. An application that pins an older jackson-databind
 * than hnswseg's (Spring Boot 2.7 manages 2.13) got, from every index, "not a valid manifest: field build: Can not set
 * final int field ... efConstruction": Jackson before 2.15 cannot build records with snake_case names, and the error
 * blamed the index (probe helper 103). Before 2.12 the manifest's class does not even load. A class of its own, so
 * that the check runs before {@link IndexManifest} is loaded.
 */
public final class JacksonVersion {

    /** The oldest jackson-databind minor version (of 2.x) that reads manifests. */
    static final int OLDEST_MINOR = 15;

    private JacksonVersion() {
    }

    /**
     * Refuses a jackson-databind older than 2.15, naming the version loaded and where from.
     *
     * @throws IllegalStateException when the JVM loaded one
     */
    public static void require() {
        java.security.CodeSource source = com.fasterxml.jackson.databind.cfg.PackageVersion.class.getProtectionDomain().getCodeSource();
        require(com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION, source == null ? null : source.getLocation());
    }

    /** {@link #require()} of the version {@code loaded}, from {@code where} (null when unknown). */
    static void require(com.fasterxml.jackson.core.Version loaded, java.net.URL where) {
        if (loaded.getMajorVersion() == 2 && loaded.getMinorVersion() < OLDEST_MINOR) {
            throw new IllegalStateException("hnswseg reads index manifests with jackson-databind 2." + OLDEST_MINOR + " or later, and"
                    + " this JVM loaded " + loaded.toString().replace("-SNAPSHOT", "") + (where == null ? "" : " (from " + where + ")")
                    + ": raise the application's Jackson to 2." + OLDEST_MINOR + " or later (import jackson-bom 2." + OLDEST_MINOR
                    + " or later first, or under Spring Boot set the property jackson-bom.version)");
        }
    }
}
