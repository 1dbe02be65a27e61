/**
 * A small HTTP JSON endpoint over an {@link io.hnswseg.reader.IndexReader}, on Jetty's core server (no
 * servlets): {@code POST /search}, {@code GET /health}, {@code GET /stats}, with every resource bounded
 * (connections, idle time, queued searches, body size) and a graceful stop.
 */
package io.hnswseg.http;
