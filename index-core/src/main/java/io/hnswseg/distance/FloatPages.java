package io.hnswseg.distance;

/**
 * Row-major float vectors in pages of 2^s rows each, so that a set larger than one Java array (at most
 * 2^31 - 1 elements: 699,050 vectors of 3,072 floats) still fits on the heap. A set that fits one page, as
 * almost every segment does, is one array, and then every row is on page 0: callers test
 * {@link #samePage} to keep their four-row kernels on one array.
 */
public final class FloatPages {

    /** Floats on one page at most: a power of two under the JVM's array limit. */
    static final int MAX_PAGE_FLOATS = 1 << 30;
    /** The shift of a set held in one page: every non-negative row shifts to page 0. */
    private static final int ONE_PAGE_SHIFT = 31;

    private final float[][] pages;
    private final int dimension;
    /** Row r is on page {@code r >>> shift}, at row {@code r & mask} of it. */
    private final int shift;
    private final int mask;

    private FloatPages(float[][] pages, int dimension, int shift) {
        this.pages = pages;
        this.dimension = dimension;
        this.shift = shift;
        this.mask = shift == ONE_PAGE_SHIFT ? Integer.MAX_VALUE : (1 << shift) - 1;
    }

    /** Zeroed room for {@code rows} vectors of {@code dimension}. */
    public static FloatPages allocate(int rows, int dimension) {
        return allocate(rows, dimension, MAX_PAGE_FLOATS);
    }

    /** {@link #allocate(int, int)} with pages of at most {@code maxPageFloats} floats (tests use small pages). */
    static FloatPages allocate(int rows, int dimension, int maxPageFloats) {
        if (rows < 0 || dimension <= 0 || dimension > maxPageFloats) {
            throw new IllegalArgumentException("cannot hold " + rows + " vectors of dimension " + dimension);
        }
        if ((long) rows * dimension <= maxPageFloats) {
            return new FloatPages(new float[][] {new float[rows * dimension]}, dimension, ONE_PAGE_SHIFT);
        }
        int shift = 31 - Integer.numberOfLeadingZeros(maxPageFloats / dimension);
        int perPage = 1 << shift;
        float[][] pages = new float[(int) (((long) rows + perPage - 1) >>> shift)][];
        for (int p = 0; p < pages.length; p++) {
            pages[p] = new float[Math.min(perPage, rows - p * perPage) * dimension];
        }
        return new FloatPages(pages, dimension, shift);
    }

    /** One page over {@code data} (not copied), rows of {@code dimension}. */
    public static FloatPages wrap(float[] data, int dimension) {
        return new FloatPages(new float[][] {data}, dimension, ONE_PAGE_SHIFT);
    }

    public int dimension() {
        return dimension;
    }

    /** The array row {@code row} is on. */
    public float[] page(int row) {
        return pages[pageIndex(row)];
    }

    /** The number of the page row {@code row} is on (codes of the same rows keep the same pages). */
    int pageIndex(int row) {
        return row >>> shift;
    }

    /** Where row {@code row} starts in {@link #page(int)}. */
    public int offset(int row) {
        return (row & mask) * dimension;
    }

    /** Whether the four rows are on one page, so one array holds them all. */
    public boolean samePage(int r0, int r1, int r2, int r3) {
        return ((r0 ^ r1) | (r0 ^ r2) | (r0 ^ r3)) >>> shift == 0;
    }

    int pageCount() {
        return pages.length;
    }

    /** Page {@code p} itself, and the rows on it: pages before the last hold {@code 2^shift} rows. */
    float[] pageAt(int p) {
        return pages[p];
    }

    /** The first row of page {@code p}. */
    int firstRow(int p) {
        return shift == ONE_PAGE_SHIFT ? 0 : p << shift;
    }

    /** Copies row {@code row} into {@code into[at..]}. */
    public void copyRow(int row, float[] into, int at) {
        System.arraycopy(page(row), offset(row), into, at, dimension);
    }

    /** Rows {@code i * rows / n} for {@code i < n}, evenly spread over rows {@code 0..rows-1}, copied one after another. */
    public float[] spreadSample(int rows, int n) {
        float[] sample = new float[n * dimension];
        for (int i = 0; i < n; i++) {
            copyRow((int) ((long) i * rows / n), sample, i * dimension);
        }
        return sample;
    }

    /** Floats held. */
    public long floats() {
        long n = 0;
        for (float[] page : pages) {
            n += page.length;
        }
        return n;
    }
}
