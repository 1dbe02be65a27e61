/**
 * The index manifest ({@code manifest.json}): the list of segments that make up an index and the figures
 * needed to trust them. The Spark job writes it last, as its commit; the reader opens an index through it.
 */
package io.hnswseg.manifest;
