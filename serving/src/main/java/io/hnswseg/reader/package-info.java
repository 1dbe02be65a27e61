/**
 * The embedded reader: {@link io.hnswseg.reader.IndexReader} opens an index committed by the Spark job
 * (a local directory or an S3 prefix), maps its segments, fans each query out across them on a bounded
 * pool and merges the per-segment top-k. Remote segments are downloaded once into a verified local cache. A
 * long-lived reader (a server) holds a lease in the index's directory, so that a vacuum keeps the files it reads.
 * No Spark or Hadoop dependency.
 */
package io.hnswseg.reader;
