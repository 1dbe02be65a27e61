package io.hnswseg.distance;

import io.hnswseg.concurrent.SharedWork;

/**
 * An int8 copy of a set of vectors ({@link Quantizer}): a quarter of the bytes of the float32 vectors, so
 * far more of the working set stays in cache, and graph construction and search are memory-bound. The
 * builder and each search walk the graph on these codes; a search then re-ranks its beam with the float
 * vectors, so the distances it returns are exact.
 */
public final class QuantizedVectors {

    private final Quantizer quantizer;
    private final int dimension;
    /** The codes in the pages of the vectors: row r's are on {@code codes[layout.pageIndex(r)]} from {@code layout.offset(r)}. */
    private final byte[][] codes;
    /** The vectors the codes were made from, whose paging (a row's page and offset) the codes share. */
    private final FloatPages layout;
    /** Per row its {@link Quantizer#rowTerm}, so that a distance costs one dot product. */
    private final float[] rowTerms;
    /** Per row its {@link Quantizer#rowErrors error}, so that a search can bound exact distances. */
    private final float[] rowErrors;
    /** The rows searches score on their floats ({@link Quantizer#misfits}), or null for none. */
    private final boolean[] misfits;

    /**
     * Agreement below which codes are not used: of the true 10 nearest neighbours of sampled rows, at
     * least this fraction must be among the 15 the codes rank nearest.
     */
    static final double MIN_AGREEMENT = 0.9;
    /** Tails tried when fitting (see {@link Quantizer#fit}) after the full range, least clipping first. */
    private static final double[] CLIPPED_TAILS = {0.0002, 0.001, 0.005};
    /** Agreements this close count as equal (a sample of 500 neighbours measures to about this). */
    private static final double AGREEMENT_TIE = 0.004;

    /** What {@link #fit} decided: the codes (or null when the float vectors must be scored) and why. */
    public record Fit(QuantizedVectors codes, String description) {
    }

    /**
     * Fits quantizers on rows {@code 0..rows-1} of {@code data} (row-major) with several amounts of tail
     * clipping, keeps the one whose codes rank neighbours most like the float vectors on a sample (the
     * least clipping among equals), and encodes every row with it. The clipped ones are fitted only when
     * the full range falls short of agreeing on every sampled neighbour (outlier-free data does not). Codes
     * that would lose recall (a range that overflows float32, data whose values the 256 levels of a
     * dimension cannot separate) are refused: the graph is then built and searched on the float vectors.
     */
    public static Fit fit(float[] data, int rows, int dimension, Metric metric) {
        return fit(FloatPages.wrap(data, dimension), rows, metric, 1);
    }

    /**
     * {@link #fit(float[], int, int, Metric)} of vectors held in pages, the sample's checks and the encoding
     * spread over {@code threads} threads; the codes keep the same pages.
     */
    public static Fit fit(FloatPages data, int rows, Metric metric, int threads) {
        FitCheck check = FitCheck.of(data, rows, metric, threads);
        if (check == null) {
            // Unchecked codes were taken as agreeing on every neighbour: a few dozen rows on a short line share their
            // codes, and searches at ef >= n missed true neighbours (probe helper 58). Floats cost such a set nothing.
            return new Fit(null, "float vectors (" + rows + " rows, too few to check int8 codes on)");
        }
        Quantizer best = Quantizer.fit(data, rows, metric, 0)[0];
        double bestAgreement = best == null ? -1 : check.agreement(best, threads);
        double bestTail = 0;
        // A clipped range wins only by more than a tie, which no agreement (at most 1) can over a full range
        // that comes within a tie of 1: then the quantiles (most of a fit's time) are not even selected.
        if (bestAgreement + AGREEMENT_TIE < 1) {
            Quantizer[] clipped = Quantizer.fit(data, rows, metric, CLIPPED_TAILS);
            for (int t = 0; t < clipped.length; t++) {
                if (clipped[t] == null) {
                    continue;
                }
                double agreement = check.agreement(clipped[t], threads);
                // Less clipping wins a tie: clipped values lose accuracy that only outliers justify.
                if (agreement > bestAgreement + AGREEMENT_TIE) {
                    best = clipped[t];
                    bestAgreement = agreement;
                    bestTail = CLIPPED_TAILS[t];
                }
            }
        }
        if (best == null) {
            return new Fit(null, "float vectors (the value range overflows int8 codes)");
        }
        String figure = String.format(java.util.Locale.ROOT, "%.3f", bestAgreement);
        if (bestAgreement < MIN_AGREEMENT) {
            return new Fit(null, "float vectors (int8 codes would find " + figure + " of the true neighbours on a sample, below "
                    + MIN_AGREEMENT + ")");
        }
        return new Fit(new QuantizedVectors(best, data, rows, threads), "int8 codes (sample agreement " + figure
                + (bestTail > 0 ? ", ranges clip " + bestTail * 100 + "% of values at each end" : "") + ")");
    }

    /** Rows encoded per parallel item. */
    private static final int ENCODE_ROWS = 4096;

    /** Encodes rows {@code 0..rows-1} of {@code data} with a fitted quantizer, page by page, on {@code threads} threads. */
    QuantizedVectors(Quantizer quantizer, FloatPages data, int rows, int threads) {
        this.quantizer = quantizer;
        this.dimension = data.dimension();
        this.layout = data;
        this.rowTerms = new float[rows];
        this.rowErrors = new float[rows];
        this.codes = new byte[data.pageCount()][];
        int[] firstItem = new int[codes.length + 1];
        int[] onPage = new int[codes.length];
        for (int p = 0; p < codes.length; p++) {
            onPage[p] = Math.max(0, Math.min(data.pageAt(p).length / dimension, rows - data.firstRow(p)));
            codes[p] = quantizer.newCodes(onPage[p]);
            firstItem[p + 1] = firstItem[p] + (onPage[p] + ENCODE_ROWS - 1) / ENCODE_ROWS;
        }
        SharedWork.run(firstItem[codes.length], threads, item -> {
            int p = 0;
            while (firstItem[p + 1] <= item) {
                p++;
            }
            int from = (item - firstItem[p]) * ENCODE_ROWS;
            int to = Math.min(onPage[p], from + ENCODE_ROWS);
            quantizer.encode(data.pageAt(p), from, to, codes[p]);
            quantizer.rowTerms(codes[p], from, to, rowTerms, data.firstRow(p) + from);
            quantizer.rowErrors(data.pageAt(p), from, to, codes[p], rowErrors, data.firstRow(p) + from);
        });
        misfits = Quantizer.misfits(quantizer.metric(), rowErrors);
    }

    /** The rows searches score on their floats, not their codes ({@link Quantizer#misfits}); null for none. */
    public boolean[] misfits() {
        return misfits;
    }

    public Quantizer quantizer() {
        return quantizer;
    }

    private byte[] page(int row) {
        return codes[layout.pageIndex(row)];
    }

    private int at(int row) {
        return layout.offset(row);
    }

    /** Prepares a float query for scoring against these codes. */
    public CodeQuery query(float[] query) {
        return quantizer.query(query, rowTerms, rowErrors);
    }

    /** How far row {@code row} lies from its decoded codes; see {@link Quantizer#rowErrors}. */
    public float rowError(int row) {
        return rowErrors[row];
    }

    /** Row {@code row} decoded to floats ({@code offset + scale * code}) into {@code into}, which is returned. */
    public float[] decode(int row, float[] into) {
        byte[] page = page(row);
        int base = at(row);
        float[] offset = quantizer.offsetRef();
        float[] scale = quantizer.scaleRef();
        for (int d = 0; d < dimension; d++) {
            into[d] = offset[d] + scale[d] * page[base + d];
        }
        return into;
    }

    /** Copies the codes of {@code rows} rows from {@code fromRow} into {@code into[at..]}. */
    public void copyRows(int fromRow, int rows, byte[] into, int at) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(page(fromRow + r), at(fromRow + r), into, at + r * dimension, dimension);
        }
    }

    /** Approximate distance from a float query to row {@code row}. */
    public float distance(CodeQuery query, int row) {
        return query.distance(page(row), at(row), row);
    }

    /**
     * Approximate distances from a float query to four rows into {@code out[0..3]}: one four-row kernel
     * when the rows share a page (always, below 2^30 bytes of codes), else one row at a time.
     */
    public void distance4(CodeQuery query, int r0, int r1, int r2, int r3, float[] out) {
        if (layout.samePage(r0, r1, r2, r3)) {
            query.distance4(page(r0), at(r0), at(r1), at(r2), at(r3), r0, r1, r2, r3, out);
        } else {
            out[0] = distance(query, r0);
            out[1] = distance(query, r1);
            out[2] = distance(query, r2);
            out[3] = distance(query, r3);
        }
    }

    /** A hash of row {@code row}'s code bytes: rows of the same codes have the same hash ({@link #sameCodes}). */
    public int codeHash(int row) {
        byte[] page = page(row);
        int at = at(row);
        int h = 1;
        for (int d = 0; d < dimension; d++) {
            h = 31 * h + page[at + d];
        }
        return h;
    }

    /**
     * Whether rows {@code a} and {@code b} have the same codes, neither a {@link #misfits misfit}: every code
     * distance takes them for one vector, whatever their floats say.
     */
    public boolean sameCodes(int a, int b) {
        if (misfits != null && (misfits[a] || misfits[b])) {
            return false;
        }
        byte[] pa = page(a);
        byte[] pb = page(b);
        int oa = at(a);
        int ob = at(b);
        return java.util.Arrays.equals(pa, oa, oa + dimension, pb, ob, ob + dimension);
    }

    /** Approximate distance between rows {@code a} and {@code b}, in the units of {@link Metric#distance}. */
    public float distance(int a, int b) {
        return quantizer.codeDistance(page(a), at(a), rowTerms[a], page(b), at(b), rowTerms[b]);
    }

    /**
     * Loads the first byte of each row, so their cache misses overlap; see the searcher's batches. Returns
     * a value the caller keeps in a field of its own (this object is shared between threads, and a write
     * here would bounce its cache line between cores), so the JIT cannot drop the loads.
     */
    public int touch(int[] rows, int count) {
        int s = 0;
        for (int i = 0; i < count; i++) {
            s += page(rows[i])[at(rows[i])];
        }
        return s;
    }

    /** Bytes held. */
    public long bytes() {
        long n = 8L * dimension + 4L * rowTerms.length + 4L * rowErrors.length;
        for (byte[] page : codes) {
            n += page.length;
        }
        return n;
    }
}
