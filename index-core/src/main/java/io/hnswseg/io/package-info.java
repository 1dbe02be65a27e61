/**
 * Streaming readers and writers for the TEXMEX vector formats ({@code .fvecs}, {@code .ivecs},
 * {@code .bvecs}): little-endian records of {@code int32 d} followed by {@code d} values; and the local
 * files a command writes beside its output ({@link io.hnswseg.io.LocalFiles}: checked first, written whole).
 */
package io.hnswseg.io;
