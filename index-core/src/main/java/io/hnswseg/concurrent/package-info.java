/**
 * How work is spread over threads: {@link io.hnswseg.concurrent.SharedWork} runs items on the calling
 * thread together with helpers (a reader's pool, or threads started for one call), so the caller's
 * progress never waits for a helper. The reader's fan-out and batches,
 * the quantizer fit and the build's insertion order use it.
 * {@link io.hnswseg.concurrent.SpinningPool} is the reader's pool of helpers, whose threads spin a little
 * before they park so that a query's segments reach them without a wake-up.
 * {@link io.hnswseg.concurrent.DaemonThreads} makes the threads of the project's pools.
 */
package io.hnswseg.concurrent;
