/**
 * Distances between float32 vectors: the metrics ({@link io.hnswseg.distance.Metric}) and the kernels
 * behind them. The kernels use {@code jdk.incubator.vector} when the JVM has the module and a scalar
 * fallback when it does not; the choice is made once, at class initialisation, and logged.
 */
package io.hnswseg.distance;
