/**
 * Partitioning by content and routing: {@link io.hnswseg.routing.Centroids} (one per partition, with the
 * bias that balances partition sizes) assigns each vector to its partition when an index is built and
 * ranks the partitions for a query when it is searched; {@link io.hnswseg.routing.KMeansTrainer} fits
 * them on a sample. The same distances decide both, so a query is routed where its neighbours were put.
 * {@link io.hnswseg.routing.RoutedSegments} and {@link io.hnswseg.routing.ProbeBeams} choose, from that ranking,
 * the segments a query searches and each one's beam, for the reader and for the build's recall measurement alike.
 */
package io.hnswseg.routing;
