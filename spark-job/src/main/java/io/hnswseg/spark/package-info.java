/**
 * The Spark batch job: partitions a vector dataset (fvecs/bvecs or a Parquet table), builds one HNSW
 * segment per partition on the executors, and commits the index by writing its manifest last, through
 * Hadoop's FileSystem (local disk, HDFS, or an object store). Entry point: {@link io.hnswseg.spark.BuildIndexJob}.
 */
package io.hnswseg.spark;
