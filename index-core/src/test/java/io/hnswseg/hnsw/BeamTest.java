package io.hnswseg.hnsw;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BeamTest {

    /** A node of the reference beam: a plain sorted list, rebuilt the slow and obvious way. */
    private record Entry(float distance, int node, boolean expanded) {
    }

    private static final Comparator<Entry> ORDER = Comparator.comparingDouble(Entry::distance).thenComparingInt(Entry::node);

    @Test
    void keepsTheBestWidthSortedAndExpandsTheClosestUnexpandedFirst() {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            int width = 1 + random.nextInt(40);
            Beam beam = new Beam();
            beam.reset(width);
            List<Entry> reference = new ArrayList<>();
            for (int step = 0; step < 400; step++) {
                if (random.nextInt(3) > 0) {
                    // Few distinct distances, so ties (broken by node) are common.
                    float distance = random.nextInt(50) - 10;
                    int node = random.nextInt(1_000_000);
                    if (reference.stream().anyMatch(e -> e.node() == node)) {
                        continue;
                    }
                    beam.offer(distance, node);
                    reference.add(new Entry(distance, node, false));
                    reference.sort(ORDER);
                    if (reference.size() > width) {
                        reference.remove(width);
                    }
                } else {
                    int expected = -1;
                    for (int i = 0; i < reference.size(); i++) {
                        Entry e = reference.get(i);
                        if (!e.expanded()) {
                            expected = e.node();
                            reference.set(i, new Entry(e.distance(), e.node(), true));
                            break;
                        }
                    }
                    assertEquals(expected, beam.expandNext(), "round " + round + " step " + step);
                }
                assertEquals(reference.size(), beam.size());
                for (int i = 0; i < reference.size(); i++) {
                    assertEquals(reference.get(i).node(), beam.node(i), "round " + round + " step " + step + " entry " + i);
                    assertEquals(reference.get(i).distance(), beam.distance(i));
                }
                float worst = reference.size() < width ? Float.POSITIVE_INFINITY : reference.get(reference.size() - 1).distance();
                assertEquals(worst, beam.worst());
            }
        }
    }
}
