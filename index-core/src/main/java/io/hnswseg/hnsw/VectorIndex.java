package io.hnswseg.hnsw;

import io.hnswseg.distance.Metric;

/** Something that answers top-k nearest-neighbour queries: an in-memory graph or a mapped segment. */
public interface VectorIndex {

    /**
     * The {@code k} nearest vectors to {@code query}, closest first.
     *
     * @param ef beam width of the layer-0 search, {@code >= k}; larger is slower and more accurate
     * @throws IllegalArgumentException for a query of the wrong dimension or with NaN/Inf components,
     *                                  {@code k <= 0} or {@code ef < k}
     * @throws IllegalStateException    when the index holds no vectors
     */
    SearchResults search(float[] query, int k, int ef);

    int size();

    int dimension();

    Metric metric();
}
