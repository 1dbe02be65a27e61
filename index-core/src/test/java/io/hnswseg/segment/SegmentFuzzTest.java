package io.hnswseg.segment;

import io.hnswseg.distance.Metric;
import io.hnswseg.hnsw.SearchResults;
import io.hnswseg.io.FloatMatrix;
import io.hnswseg.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded random corruption of small real segments (l2 and cosine, with and without codes): byte flips,
 * runs of random bytes, awkward ints written over a field, truncations and extensions. Verified, every
 * changed file is refused on open. Unverified, opening and searching may only succeed (with the original
 * answers when just inert bytes changed) or throw a CorruptSegmentException naming the file, within a
 * time bound; anything else (an OutOfMemoryError, an index out of bounds, an InternalError, a hang) fails.
 */
class SegmentFuzzTest {

    private static final long SEED = 20_240_901L;
    private static final int CASES_PER_SEGMENT = 700;
    private static final int K = 5;
    private static final int EF = 32;
    private static final Duration CASE_TIME_LIMIT = Duration.ofSeconds(10);

    /** How the bytes of a case were changed. */
    enum Mutation { FLIP_BYTE, FLIP_BYTES, RANDOM_RUN, AWKWARD_INT, TRUNCATE, EXTEND }

    /** What opening and searching a changed file without verification did. */
    enum Outcome { REFUSED_ON_OPEN, REFUSED_ON_SEARCH, DIFFERENT_ANSWERS, SAME_ANSWERS }

    @TempDir
    Path dir;

    /** Runs each case's unverified open and searches, so that a hang is a timeout rather than a stuck build. */
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "segment-fuzz");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stopWorker() {
        worker.shutdownNow();
    }

    @Test
    void corruptedSegmentsAreRefusedOrSearchedSafely() throws Exception {
        FloatMatrix[] data = Fixtures.clustered(400, 8, 12, 31);
        Map<Mutation, Map<Outcome, Integer>> counts = new EnumMap<>(Mutation.class);
        int inertCases = 0;
        List<String> failures = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(SEED);
        for (Metric metric : new Metric[]{Metric.L2, Metric.COSINE}) {
            for (boolean codes : new boolean[]{true, false}) {
                Segment segment = new Segment(TestSegments.build(data[0], metric, codes), data[1], metric + (codes ? "+codes" : ""));
                for (int c = 0; c < CASES_PER_SEGMENT; c++) {
                    Mutation mutation = Mutation.values()[random.nextInt(Mutation.values().length)];
                    byte[] changed = segment.mutate(mutation, random.split());
                    String what = segment.name + " case " + c + " " + mutation;
                    try {
                        Outcome outcome = segment.run(changed, what);
                        counts.computeIfAbsent(mutation, m -> new EnumMap<>(Outcome.class)).merge(outcome, 1, Integer::sum);
                        if (segment.onlyInertBytesDiffer(changed)) {
                            inertCases++;
                            assertEquals(Outcome.SAME_ANSWERS, outcome, what + ": only inert bytes changed");
                        }
                    } catch (AssertionError e) {
                        failures.add(e.getMessage());
                    }
                }
            }
        }
        print(counts, inertCases);
        assertTrue(failures.isEmpty(), failures.size() + " cases went wrong, first ones:\n" + String.join("\n",
                failures.subList(0, Math.min(10, failures.size()))));
    }

    private static void print(Map<Mutation, Map<Outcome, Integer>> counts, int inertCases) {
        StringBuilder table = new StringBuilder("segment fuzz, unverified opens (every verified open was refused):\n");
        table.append(String.format("%-12s", "mutation"));
        for (Outcome o : Outcome.values()) {
            table.append(String.format("%20s", o.name().toLowerCase()));
        }
        table.append('\n');
        int[] totals = new int[Outcome.values().length];
        for (Map.Entry<Mutation, Map<Outcome, Integer>> row : counts.entrySet()) {
            table.append(String.format("%-12s", row.getKey().name().toLowerCase()));
            for (Outcome o : Outcome.values()) {
                int n = row.getValue().getOrDefault(o, 0);
                totals[o.ordinal()] += n;
                table.append(String.format("%20d", n));
            }
            table.append('\n');
        }
        table.append(String.format("%-12s", "all"));
        for (int n : totals) {
            table.append(String.format("%20d", n));
        }
        table.append("\n(").append(inertCases).append(" cases changed only inert bytes: padding, reserved fields, the seed,"
                + " unused link slots, the unverified checksum; all gave the same answers)\n");
        System.out.print(table);
    }

    /** One original segment, its answers, and where its inert bytes are. */
    private final class Segment {
        final byte[] bytes;
        final FloatMatrix queries;
        final String name;
        final SearchResults[] answers;
        final long[] sectionStarts;
        final long[] sectionEnds;
        /** Bytes no open without verification and no search reads, so any value there changes nothing. */
        final BitSet inert = new BitSet();
        final int size;

        Segment(byte[] bytes, FloatMatrix queries, String name) throws Exception {
            this.bytes = bytes;
            this.queries = queries;
            this.name = name;
            ByteBuffer in = TestSegments.little(bytes);
            SegmentLayout layout = TestSegments.layout(bytes);
            size = (int) in.getLong(32);
            int dimension = in.getInt(16);
            int m = in.getInt(20);
            long upperDataInts = in.getLong(56);
            boolean codes = layout.codesOffset() != 0;
            // Sections as [start, end) of their contents; what lies between one's end and the next start is padding.
            sectionStarts = new long[]{0, layout.idsOffset(), layout.levelsOffset(), layout.vectorsOffset(), layout.layer0Offset(),
                    layout.upperIndexOffset(), layout.upperDataOffset(), codes ? layout.quantizerOffset() : layout.footerOffset(),
                    codes ? layout.codesOffset() : layout.footerOffset(), codes ? layout.codeErrorsOffset() : layout.footerOffset(),
                    layout.footerOffset()};
            sectionEnds = new long[]{SegmentLayout.HEADER_BYTES, layout.idsOffset() + 8L * size, layout.levelsOffset() + size,
                    layout.vectorsOffset() + 4L * dimension * size, layout.layer0Offset() + 4L * (1 + 2 * m) * size,
                    layout.upperIndexOffset() + 4L * size, layout.upperDataOffset() + 4 * upperDataInts,
                    codes ? layout.quantizerOffset() + 8L * dimension : layout.footerOffset(),
                    codes ? layout.codesOffset() + (long) dimension * size : layout.footerOffset(),
                    codes ? layout.codeErrorsOffset() + 4L * size : layout.footerOffset(), bytes.length};
            for (int s = 0; s + 1 < sectionStarts.length; s++) {
                inert.set((int) sectionEnds[s], (int) sectionStarts[s + 1]);
            }
            inert.set(44, 48);   // reserved
            inert.set(48, 56);   // seed: recorded, never used by a reader
            inert.set(124, 128); // reserved
            // The centroid CRC, and the bias while its flag at 160 is 0 (both checked against a manifest, not here);
            // the copies section's offset at 168 is checked; then reserved.
            inert.set(156, 160);
            inert.set(164, 168);
            inert.set(176, SegmentLayout.HEADER_BYTES);
            inert.set((int) layout.footerOffset(), (int) layout.footerOffset() + 4); // checksum, when not verified
            for (int node = 0; node < size; node++) {
                int slot = (int) layout.layer0Offset() + 4 * (1 + 2 * m) * node;
                inert.set(slot + 4 + 4 * in.getInt(slot), slot + 4 * (1 + 2 * m));
                int start = in.getInt((int) layout.upperIndexOffset() + 4 * node);
                for (int level = 1; start >= 0 && level <= bytes[(int) layout.levelsOffset() + node]; level++) {
                    int block = (int) layout.upperDataOffset() + 4 * (start + (level - 1) * (1 + m));
                    inert.set(block + 4 + 4 * in.getInt(block), block + 4 * (1 + m));
                }
            }
            answers = new SearchResults[queries.rows()];
            Path p = dir.resolve("original.hseg");
            Files.write(p, bytes);
            try (MappedSegment original = MappedSegment.open(p)) {
                for (int q = 0; q < answers.length; q++) {
                    answers[q] = original.search(queries.row(q), K, EF);
                }
            }
        }

        /** A position in a section chosen uniformly, so the small structural sections get as many hits as the vectors. */
        int position(SplittableRandom random, int width) {
            int s = random.nextInt(sectionStarts.length);
            long start = sectionStarts[s];
            long length = Math.max(1, sectionEnds[s] - start - width + 1);
            return (int) Math.min(bytes.length - width, start + random.nextLong(length));
        }

        byte[] mutate(Mutation mutation, SplittableRandom random) {
            byte[] out = bytes.clone();
            switch (mutation) {
                case FLIP_BYTE -> out[position(random, 1)] ^= (byte) (1 + random.nextInt(255));
                case FLIP_BYTES -> {
                    for (int i = 2 + random.nextInt(15); i > 0; i--) {
                        out[position(random, 1)] ^= (byte) (1 + random.nextInt(255));
                    }
                }
                case RANDOM_RUN -> {
                    int length = 4 + random.nextInt(61);
                    int at = position(random, length);
                    for (int i = 0; i < length; i++) {
                        out[at + i] = (byte) random.nextInt(256);
                    }
                    out[at] = (byte) ~bytes[at];
                }
                case AWKWARD_INT -> {
                    int[] awkward = {0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, size, size - 1, size + 1, 1 << 30,
                            -size, random.nextInt()};
                    int at = position(random, 4) & -4;
                    int value = awkward[random.nextInt(awkward.length)];
                    if (TestSegments.little(out).getInt(at) == value) {
                        value = ~value;
                    }
                    TestSegments.little(out).putInt(at, value);
                }
                case TRUNCATE -> {
                    return Arrays.copyOf(out, random.nextInt(bytes.length));
                }
                case EXTEND -> {
                    out = Arrays.copyOf(out, bytes.length + 1 + random.nextInt(256));
                    for (int i = bytes.length; i < out.length; i++) {
                        out[i] = (byte) random.nextInt(256);
                    }
                }
            }
            if (Arrays.equals(out, bytes)) {
                out[position(random, 1)] ^= 1; // two flips of one byte cancelled out
            }
            return out;
        }

        boolean onlyInertBytesDiffer(byte[] changed) {
            if (changed.length != bytes.length) {
                return false;
            }
            for (int i = 0; i < bytes.length; i++) {
                if (changed[i] != bytes[i] && !inert.get(i)) {
                    return false;
                }
            }
            return true;
        }

        /** Checks a changed file opened both ways; returns what the unverified open and searches did. */
        Outcome run(byte[] changed, String what) throws Exception {
            Path p = dir.resolve("changed.hseg");
            Files.write(p, changed);
            CorruptSegmentException refused = null;
            try {
                MappedSegment.open(p).close();
            } catch (CorruptSegmentException e) {
                refused = e;
            }
            assertTrue(refused != null, what + ": a verified open accepted a changed file");
            assertNamesTheFile(refused, p, what);
            Future<Outcome> outcome = worker.submit(() -> openAndSearch(p, what));
            try {
                return outcome.get(CASE_TIME_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError(what + ": took longer than " + CASE_TIME_LIMIT + " (hung?)");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof AssertionError failed) {
                    throw failed;
                }
                throw new AssertionError(what + ": unverified open or search threw " + e.getCause(), e.getCause());
            }
        }

        private Outcome openAndSearch(Path p, String what) throws Exception {
            MappedSegment segment;
            try {
                segment = MappedSegment.open(p, false);
            } catch (CorruptSegmentException e) {
                assertNamesTheFile(e, p, what);
                return Outcome.REFUSED_ON_OPEN;
            }
            try (segment) {
                boolean same = true;
                for (int q = 0; q < answers.length; q++) {
                    same &= answers[q].matches(segment.search(queries.row(q), K, EF), Fixtures.SAME_RESULTS_TOLERANCE);
                }
                return same ? Outcome.SAME_ANSWERS : Outcome.DIFFERENT_ANSWERS;
            } catch (CorruptSegmentException e) {
                assertNamesTheFile(e, p, what);
                return Outcome.REFUSED_ON_SEARCH;
            }
        }
    }

    private static void assertNamesTheFile(CorruptSegmentException e, Path p, String what) {
        assertEquals(p.toString(), e.file(), what);
        assertTrue(e.getMessage().contains(p.toString()), what + ": " + e.getMessage());
    }
}
