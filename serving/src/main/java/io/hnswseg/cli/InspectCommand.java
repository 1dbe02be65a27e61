package io.hnswseg.cli;

import io.hnswseg.manifest.IndexManifest;
import io.hnswseg.reader.IndexReader;
import io.hnswseg.segment.MappedSegment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code hnswseg inspect}: what an index holds, segment by segment. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print an index's manifest and per-segment figures; --verify checks every segment's CRC32C.")
final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "the index: a directory, file:, s3://bucket/prefix or s3a://")
    String uri;

    @Option(names = "--verify", description = "check every segment's CRC32C against its footer and the manifest")
    boolean verify;

    @Mixin
    ReaderFlags flags;

    /** Fails naming up to five of {@code problems}, which {@code what} says of the segments of {@code reader}. */
    private static void refuse(IndexReader reader, List<String> problems, String what) throws java.io.IOException {
        if (!problems.isEmpty()) {
            throw new java.io.IOException(problems.size() + " of " + reader.segmentCount() + " segments listed in the manifest"
                    + " of " + reader.location() + " " + what + ": " + String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                    + (problems.size() > 5 ? "; ..." : ""));
        }
    }

    @Override
    public Integer call() throws Exception {
        flags.noVerify = !verify;
        // A remote index's segments are checked by their stored sizes, not downloaded (probe helper 72: inspect fetched
        // every segment of an S3 index to print its manifest). --verify opens each one on its own and names every one
        // missing, short or corrupt: an eager open stopped at the first (probe helper 84).
        boolean remote = IndexReader.isS3(uri) && !verify;
        try (IndexReader reader = verify ? IndexReader.open(uri, flags.readerOptions().withLazySegments(true))
                : flags.open(uri, flags.readerOptions().withLazySegments(remote))) {
            refuse(reader, reader.segmentsNotStored(), "are not stored as listed");
            if (verify) {
                refuse(reader, reader.openEverySegment(), "failed their check");
                flags.announce(reader, false);
            }
            IndexManifest m = reader.manifest();
            System.out.printf("index %s%n  format_version %d, metric %s, dimension %d, %d vectors in %d segment%s, %.1f MB%n",
                    reader.location(), m.formatVersion(), m.metric(), m.dimension(), m.totalCount(), m.segments().size(),
                    m.segments().size() == 1 ? "" : "s",
                    m.segments().stream().mapToLong(IndexManifest.Segment::bytes).sum() / 1e6);
            System.out.println(reader.manifestChecksummed() ? "  manifest: its manifest_crc32c matched as it was read"
                    : "  manifest: no manifest_crc32c (built before 2026-12-06, or edited with it removed): read unchecked");
            if (m.build() != null) {
                System.out.printf("  build: M=%d efConstruction=%d seed=%d%n", m.build().m(), m.build().efConstruction(), m.build().seed());
            }
            if (m.vectorLength() != null) {
                System.out.printf(Locale.ROOT, "  typical vector length %.3g (median of the build's sample)%n", m.vectorLength());
            }
            if (m.routed()) {
                IndexManifest.Routing r = m.routing();
                System.out.printf("  partitioner: kmeans, %d centroids (%s), %d vectors replicated near partition boundaries%n",
                        r.centroids().count(), r.centroids().path(), r.replicatedVectors());
                System.out.println(routingCheck(r));
            } else {
                System.out.println("  partitioner: random (every query visits every segment)");
            }
            IndexManifest.Quality quality = m.quality();
            if (quality != null) {
                IndexManifest.GridPoint d = quality.defaults();
                // Since 2026-12-06 a point reaches the target only by a margin for the sample (review helper 85).
                boolean measuredAbove = quality.grid().stream().anyMatch(p -> p.recallAt10() >= quality.targetRecall());
                System.out.printf("  measured recall@10 (%d queries, %s): target %s %s; default nprobe %s, ef %d (recall %.4f)%n",
                        quality.queries(), quality.source(), quality.targetRecall(), quality.reached() ? "reached"
                                : measuredAbove ? "NOT reached with the margin for the sample (measured above it)" : "NOT reached",
                        d.nprobe() == 0 ? "all" : d.nprobe(), d.ef(), d.recallAt10());
                System.out.printf("    %6s %6s %10s %10s %16s %10s%n", "nprobe", "ef", "recall@10", "by ids", "KB scored/query", "us/query");
                for (IndexManifest.GridPoint p : quality.grid()) {
                    // Manifests from before the count or the recall by ids were recorded hold 0 or nothing there.
                    String kb = p.bytesScoredPerQuery() > 0 ? String.format("%.1f", p.bytesScoredPerQuery() / 1e3) : "-";
                    String byIds = p.recallAt10ByIds() != null ? String.format(Locale.ROOT, "%.4f", p.recallAt10ByIds()) : "-";
                    System.out.printf("    %6s %6d %10.4f %10s %16s %10.1f%n", p.nprobe() == 0 ? "all" : p.nprobe(), p.ef(), p.recallAt10(),
                            byIds, kb, p.microsPerQuery());
                }
                if (quality.grid().stream().anyMatch(p -> p.nprobe() > 0 && p.bytesScoredPerQuery() == 0)) {
                    // Builds before 2026-12-03 (no bytes counted) searched every one of the nprobe nearest segments with
                    // full beams; this reader probes fewer, narrower (probe helper 35: 0.972 where the build's reader got 0.982).
                    System.out.println("  note: measured by a build before 2026-12-03, whose searches at nprobe > 0 probed more segments than"
                            + " this reader's: those figures may be optimistic for it by about 0.01; rebuild to refresh them");
                }
            } else {
                System.out.printf("  measured recall: none (%s): readers default to ef %d over every segment%n",
                        m.formatVersion() == 1 ? "a format 1 manifest, from before builds measured it" : "built with --eval-queries 0",
                        IndexReader.DEFAULT_EF);
            }
            if (!m.summary().isEmpty()) {
                System.out.println("  summary: " + new java.util.TreeMap<>(m.summary())); // by name: the same each run (probe helper 95)
            }
            List<String> files = reader.segmentFiles();
            System.out.printf("  %-48s %12s %14s %12s %9s%n", "segment", "vectors", "bytes", "crc32c", "centroid");
            for (int i = 0; i < m.segments().size(); i++) {
                IndexManifest.Segment s = m.segments().get(i);
                System.out.printf("  %-48s %12d %14d %12s %9s%s%n", s.path(), s.count(), s.bytes(), MappedSegment.hex(s.crc32c()),
                        s.centroid() == null ? "-" : s.centroid(),
                        remote || files.get(i).endsWith(s.path()) ? "" : "  (cached at " + files.get(i) + ")");
            }
            System.out.println(verify ? "  checksums: all " + m.segments().size() + " segments verified"
                    : remote ? "  checksums: not verified, segments not downloaded: each found stored with the manifest's size (use --verify)"
                    : "  checksums: not verified (use --verify)");
        }
        return 0;
    }

    /** Whether a segment routed by another centroid or bias is refused, or (an older index) could not be. */
    private static String routingCheck(IndexManifest.Routing r) {
        if (r.segmentsRecordCentroidCrcs() && r.segmentsRecordCentroidBiases()) {
            return "  routing checked: each segment records the CRC32C and the bias of the centroid that routes it, compared"
                    + " as it is opened";
        }
        if (r.segmentsRecordCentroidCrcs()) {
            return "  routing checked: each segment records the CRC32C of the centroid that routes it; its bias is checked only"
                    + " where a segment records one (built before the bias was recorded; rebuild to have every bias checked)";
        }
        return "  routing checked only where a segment records its centroid's CRC32C: the manifest predates 2026-12-04"
                + " and does not require it (rebuild to have every segment checked)";
    }
}
