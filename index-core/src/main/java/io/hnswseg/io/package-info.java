/**
 * Streaming readers and writers for the TEXMEX vector formats ({@code .fvecs}, {@code .ivecs},
 * {@code .bvecs}): little-endian records of {@code int32 d} followed by {@code d} values.
 */
package io.hnswseg.io;
