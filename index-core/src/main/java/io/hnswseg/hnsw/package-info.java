/**
 * The HNSW engine: the in-memory graph ({@link io.hnswseg.hnsw.HnswGraph}), its concurrent builder
 * ({@link io.hnswseg.hnsw.HnswGraphBuilder}) and the searcher ({@link io.hnswseg.hnsw.GraphSearcher}) that
 * walks any {@link io.hnswseg.hnsw.GraphView}, in memory or memory-mapped. Search structures (heaps of
 * packed longs, a visited bit set) are reused per thread, so a search's loops allocate nothing; an insertion
 * allocates its query's codes once, before its searches.
 */
package io.hnswseg.hnsw;
