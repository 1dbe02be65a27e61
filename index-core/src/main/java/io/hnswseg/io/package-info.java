/**
 * Files on local disk and their words: streaming readers and writers for the TEXMEX vector formats
 * ({@code .fvecs}, {@code .ivecs}, {@code .bvecs}: little-endian records of {@code int32 d} followed by
 * {@code d} values) and the matrix they read into ({@link io.hnswseg.io.FloatMatrix}); the local files a
 * command writes beside its output ({@link io.hnswseg.io.LocalFiles}: checked first, written whole); and a JSON
 * parser's errors in a user's words ({@link io.hnswseg.io.JsonProblems}, for the manifest and HTTP requests).
 */
package io.hnswseg.io;
