/**
 * Partitioning by content and routing: {@link io.hnswseg.routing.Centroids} (one per partition, with the
 * bias that balances partition sizes) assigns each vector to its partition when an index is built and
 * chooses the segments a query visits when it is searched; {@link io.hnswseg.routing.KMeansTrainer} fits
 * them on a sample. The same distances decide both, so a query is routed where its neighbours were put.
 */
package io.hnswseg.routing;
