/**
 * Measuring an index: exact ground truth by brute force, recall@k, latency percentiles, a generated
 * clustered dataset for demos and tests, and the in-process build-and-search benchmark behind
 * {@code hnswseg bench}.
 */
package io.hnswseg.eval;
