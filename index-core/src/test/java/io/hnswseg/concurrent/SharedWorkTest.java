package io.hnswseg.concurrent;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SharedWorkTest {

    @Test
    void everyItemRunsOnce() {
        AtomicInteger[] runs = new AtomicInteger[1_000];
        for (int i = 0; i < runs.length; i++) {
            runs[i] = new AtomicInteger();
        }
        SharedWork.run(runs.length, 3, i -> runs[i].incrementAndGet());
        for (AtomicInteger r : runs) {
            assertEquals(1, r.get());
        }
    }

    @Test
    void aFailureReachesTheCallerAndStopsTheItemsNotYetStarted() {
        AtomicInteger ran = new AtomicInteger();
        IllegalArgumentException thrown = new IllegalArgumentException("item 3");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SharedWork.run(1_000, 1, i -> {
            ran.incrementAndGet();
            if (i == 3) {
                throw thrown;
            }
        }));
        assertSame(thrown, e);
        assertEquals(4, ran.get(), "one thread: the items after the failing one are not run");
    }

    /** A checked exception thrown past the compiler was dropped, and the call returned as if every item had run. */
    @Test
    void aSneakyCheckedExceptionIsNotLost() {
        IOException io = new IOException("disk gone");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedWork.run(10, 2, i -> {
            if (i == 5) {
                SharedWorkTest.<RuntimeException>sneaky(io);
            }
        }));
        assertSame(io, e.getCause());
        assertTrue(e.getMessage().contains("disk gone"), e.getMessage());
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
