package io.hnswseg.distance;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A JVM started without {@code --add-modules jdk.incubator.vector} gets the scalar kernels, and says so. */
class ScalarFallbackTest {

    /** Run in the child JVM: prints the kernels in use and one distance. */
    public static void main(String[] args) {
        System.out.println(VectorKernels.implementation());
        System.out.println(Metric.L2.distance(new float[]{1, 2, 3}, 0, new float[]{4, 6, 3}, 0, 3));
    }

    @Test
    void jvmWithoutTheVectorModuleFallsBackToScalar() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ScalarFallbackTest.class.getName())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("hnswseg distance kernels: scalar"), "the choice is logged: " + out);
        assertTrue(out.contains("25.0"), "and the scalar kernels compute: " + out);
    }
}
