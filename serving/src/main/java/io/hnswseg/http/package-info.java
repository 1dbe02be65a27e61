/**
 * A small HTTP JSON endpoint over an {@link io.hnswseg.reader.IndexReader}, on the JDK's own HTTP server
 * (no extra dependency): {@code POST /search}, {@code GET /health}, {@code GET /stats}.
 */
package io.hnswseg.http;
