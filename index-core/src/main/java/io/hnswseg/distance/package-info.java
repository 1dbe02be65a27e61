/**
 * Distances between vectors and what makes them cheap: the metrics ({@link io.hnswseg.distance.Metric}) and
 * the kernels behind them; the int8 quantizer ({@link io.hnswseg.distance.Quantizer}), its codes and their
 * query-side kernels, and the check that a fit loses no neighbours ({@link io.hnswseg.distance.FitCheck});
 * vectors stored in pages past one array's limit ({@link io.hnswseg.distance.FloatPages}), batched exact
 * scans ({@link io.hnswseg.distance.ColumnTile}), and the checks and normalisation every vector passes
 * ({@link io.hnswseg.distance.Vectors}). The kernels use {@code jdk.incubator.vector} when the JVM has the
 * module and a scalar fallback when it does not; the choice is made once, at class initialisation, and logged.
 */
package io.hnswseg.distance;
