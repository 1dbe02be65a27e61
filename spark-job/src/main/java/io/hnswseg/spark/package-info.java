/**
 * The Spark jobs and their API ({@link io.hnswseg.spark.HnswsegSpark}). The build partitions a vector
 * dataset (fvecs/bvecs or a Parquet table; at random or by k-means centroids), builds one HNSW segment per
 * partition on the executors, measures the index's recall, and commits it by writing its manifest last,
 * through Hadoop's FileSystem (local disk, HDFS, or an object store). The batch search answers every row of
 * a query table on one shared reader per executor and commits Parquet results whole. Vacuum removes the
 * files no manifest lists. To-parquet writes a vectors file as the table the build reads. Entry points:
 * {@link io.hnswseg.spark.BuildIndexJob}, {@link io.hnswseg.spark.SearchIndexJob}, {@link io.hnswseg.spark.VacuumIndexJob},
 * {@link io.hnswseg.spark.VecsToParquetJob}.
 */
package io.hnswseg.spark;
