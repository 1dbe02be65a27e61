package io.hnswseg.hnsw;

/** Rows whose codes misrepresent them, scored again on their floats (see {@code Quantizer.misfits}). */
public final class Misfits {

    private Misfits() {
    }

    /** Replaces the approximate distances in {@code out[0..3]} of those of the four nodes that are misfits. */
    public static void rescore(boolean[] misfits, NodeScorer exact, int n0, int n1, int n2, int n3, float[] out) {
        if (misfits[n0]) {
            out[0] = exact.score(n0);
        }
        if (misfits[n1]) {
            out[1] = exact.score(n1);
        }
        if (misfits[n2]) {
            out[2] = exact.score(n2);
        }
        if (misfits[n3]) {
            out[3] = exact.score(n3);
        }
    }
}
