package io.hnswseg.routing;

import io.hnswseg.distance.Metric;
import io.hnswseg.distance.NearestList;
import io.hnswseg.distance.Vectors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The centroids of a content-partitioned index, one per partition, each with an additive bias. A vector
 * belongs to the partition of smallest <em>routing distance</em>: the metric's distance to the centroid
 * plus the centroid's bias. The biases move the boundaries between partitions so that their sizes
 * balance (plain k-means cells differ by 1.6x on real data), and the same routing distance picks the
 * partitions a query visits, so queries look where their neighbours were put.
 *
 * <p>For ip and cosine the centroids are unit vectors and vectors are compared by direction ({@code 1 -
 * cos}): inner-product neighbours are not confined to a region of space, but their directions are.
 * Immutable and thread-safe.
 */
public final class Centroids {

    private final Metric metric;
    private final int dimension;
    private final int count;
    private final float[] data;
    private final float[] biases;

    /**
     * @param metric    the index's metric
     * @param centroids {@code count x dimension}, row-major (copied; for ip/cosine normalised here)
     * @param biases    one per centroid (copied), or null for none
     */
    public Centroids(Metric metric, int dimension, float[] centroids, float[] biases) {
        if (dimension <= 0 || centroids.length == 0 || centroids.length % dimension != 0) {
            throw new IllegalArgumentException("centroids: " + centroids.length + " floats is not a whole number of vectors of dimension "
                    + dimension);
        }
        this.metric = metric;
        this.dimension = dimension;
        this.count = centroids.length / dimension;
        this.data = centroids.clone();
        this.biases = biases == null ? new float[count] : biases.clone();
        if (this.biases.length != count) {
            throw new IllegalArgumentException(this.biases.length + " biases for " + count + " centroids");
        }
        for (int c = 0; c < count; c++) {
            Vectors.checkValid(data, c * dimension, dimension, Metric.L2, "centroid " + c);
            if (!Float.isFinite(this.biases[c])) {
                throw new IllegalArgumentException("bias of centroid " + c + " is " + this.biases[c]);
            }
            if (byDirection()) {
                Vectors.normalize(data, c * dimension, dimension);
            }
        }
    }

    /** Whether vectors are compared by direction (ip, cosine) rather than by position (l2). */
    private boolean byDirection() {
        return metric != Metric.L2;
    }

    public int count() {
        return count;
    }

    public int dimension() {
        return dimension;
    }

    public Metric metric() {
        return metric;
    }

    /** A copy of the centroids, row-major. */
    public float[] vectors() {
        return data.clone();
    }

    /** A copy of the biases. */
    public float[] biases() {
        return biases.clone();
    }

    /**
     * The CRC32C of row {@code c} of {@code rows} ({@code dimension} floats each) as a centroids file stores it:
     * its float32 values, little-endian, without the record's dimension. A k-means segment records its
     * centroid's in its header, and a reader compares it with the centroid the manifest routes the segment
     * by: a centroid number swapped in the manifest, or a reordered centroids file, would otherwise send
     * queries to the wrong segments with every checksum intact.
     */
    public static long crc32c(float[] rows, int c, int dimension) {
        ByteBuffer bytes = ByteBuffer.allocate(dimension * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(rows, c * dimension, dimension);
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    /** Buffers of {@link #distances}, one per thread, so routing a vector allocates nothing. */
    public static final class Scratch {
        private final float[] vector;
        private final float[] four = new float[4];

        private Scratch(int dimension) {
            vector = new float[dimension];
        }
    }

    public Scratch newScratch() {
        return new Scratch(dimension);
    }

    /** Routing distances from {@code v[offset..offset+dimension)} to every centroid into {@code into} ({@code count} floats). */
    public void distances(float[] v, int offset, Scratch scratch, float[] into) {
        metricDistances(v, offset, scratch, into);
        for (int c = 0; c < count; c++) {
            into[c] += biases[c];
        }
    }

    /** The metric's distances (no biases) from {@code v[offset..offset+dimension)} to every centroid into {@code into}. */
    private void metricDistances(float[] v, int offset, Scratch scratch, float[] into) {
        float[] x = v;
        int at = offset;
        if (byDirection()) {
            System.arraycopy(v, offset, scratch.vector, 0, dimension);
            Vectors.normalize(scratch.vector, 0, dimension);
            x = scratch.vector;
            at = 0;
        }
        float[] four = scratch.four;
        Metric compare = byDirection() ? Metric.IP : Metric.L2;
        int c = 0;
        for (; c + 3 < count; c += 4) {
            compare.distance4(x, at, data, c * dimension, (c + 1) * dimension, (c + 2) * dimension, (c + 3) * dimension, dimension, four);
            System.arraycopy(four, 0, into, c, 4);
        }
        for (; c < count; c++) {
            into[c] = compare.distance(x, at, data, c * dimension, dimension);
        }
    }

    /**
     * The centroid nearest to {@code v[offset..offset+dimension)} by routing distance (ties by index), with
     * every centroid's distance left in {@code distances}; allocates nothing.
     */
    public int nearest(float[] v, int offset, Scratch scratch, float[] distances) {
        distances(v, offset, scratch, distances);
        int best = 0;
        for (int c = 1; c < count; c++) {
            if (distances[c] < distances[best]) {
                best = c;
            }
        }
        return best;
    }

    /**
     * {@link #nearest}, decided alike on every JVM. The float distances depend on the kernels a JVM runs (SIMD of
     * its machine's width, or scalar, sum in another order), and a vector almost equally near two centroids can
     * fall on either side: 1 row in 200,000 of 128-d clustered data did between the scalar and the 512-bit kernels
     * (review helper 65). A build that runs a map task again on another executor (a lost map output) must send
     * every row where the first run sent it, or a row is lost or indexed twice. So every centroid whose float
     * distance is within the kernels' rounding of the nearest one's is compared again in double precision, in a
     * fixed order, and the nearest there wins (ties by index). Such near ties are rare: the cost is the float
     * distances' alone.
     */
    public int nearestReproducibly(float[] v, int offset, Scratch scratch, float[] distances) {
        return nearestAmong(v, offset, distances, nearest(v, offset, scratch, distances), -1);
    }

    /**
     * The centroid a vector nearest to {@code best} ({@link #nearestReproducibly}) is also replicated to under a
     * replication {@code gap}, or -1: the second nearest by routing distance when it lies within {@code gap} of the
     * nearest. Decided alike on every JVM, as the nearest is: a second place within the kernels' rounding of another,
     * or a difference within it of the gap, is decided in double precision (probe helper 67: 1,877 rows replicated
     * under 512-bit kernels, 1,876 under 128-bit ones). {@code distances} are those {@code nearestReproducibly} left.
     */
    public int replicaReproducibly(float[] v, int offset, float[] distances, int best, float gap) {
        int second = -1;
        for (int c = 0; c < count; c++) {
            if (c != best && (second < 0 || distances[c] < distances[second])) {
                second = c;
            }
        }
        if (second < 0) {
            return -1;
        }
        second = nearestAmong(v, offset, distances, second, best);
        double difference = (double) distances[second] - distances[best];
        if (Math.abs(difference - gap) > 2 * (roundingBound(best, distances[best]) + roundingBound(second, distances[second]))
                + Math.ulp(gap)) {
            return difference <= gap ? second : -1;
        }
        return exactRoutingDistance(v, offset, second) - exactRoutingDistance(v, offset, best) <= gap ? second : -1;
    }

    /**
     * Of the centroids but {@code excluded}, the nearest in double precision among those whose float distance is
     * within the kernels' rounding of {@code candidate}'s, the float nearest (ties by index): on every JVM the same.
     */
    private int nearestAmong(float[] v, int offset, float[] distances, int candidate, int excluded) {
        double slackOfCandidate = roundingBound(candidate, distances[candidate]);
        int chosen = candidate;
        double chosenDistance = Double.NaN;
        for (int c = 0; c < count; c++) {
            if (c == candidate || c == excluded
                    || distances[c] - distances[candidate] > 2 * (slackOfCandidate + roundingBound(c, distances[c]))) {
                continue;
            }
            if (Double.isNaN(chosenDistance)) {
                chosenDistance = exactRoutingDistance(v, offset, candidate);
            }
            double d = exactRoutingDistance(v, offset, c);
            if (d < chosenDistance || d == chosenDistance && c < chosen) {
                chosen = c;
                chosenDistance = d;
            }
        }
        return chosen;
    }

    /**
     * A bound on how far any float kernel's routing distance to centroid {@code c} may lie from the exact one, given
     * one kernel's value {@code routing}: a sum of {@code dimension} rounded terms errs by at most {@code dimension}
     * units of the last place of the sum of their sizes (the squared distance for l2, at most 1 for unit
     * directions), and adding the bias by one more of the result. The distance is bounded by the routing
     * distance and the bias together, whichever their signs.
     */
    private double roundingBound(int c, float routing) {
        double terms = byDirection() ? 1 : Math.abs(routing) + Math.abs(biases[c]);
        double unit = Math.ulp(1f);
        // The last term: differences below 1e-19 square into subnormals, whose rounding is absolute (review helper 66).
        return (dimension + 4) * unit * terms + unit * Math.abs(routing) + (dimension + 4) * (double) Float.MIN_NORMAL;
    }

    /** The routing distance to centroid {@code c} in double precision, summed in index order. */
    private double exactRoutingDistance(float[] v, int offset, int c) {
        int base = c * dimension;
        double sum = 0;
        if (byDirection()) {
            double norm = 0;
            for (int i = 0; i < dimension; i++) {
                norm += (double) v[offset + i] * v[offset + i];
            }
            double dot = 0;
            for (int i = 0; i < dimension; i++) {
                dot += (double) v[offset + i] * data[base + i];
            }
            sum = 1 - (norm > 0 ? dot / Math.sqrt(norm) : 0);
        } else {
            for (int i = 0; i < dimension; i++) {
                double d = (double) v[offset + i] - data[base + i];
                sum += d * d;
            }
        }
        return sum + biases[c];
    }

    /** The {@code n} centroids nearest to {@code query} by routing distance, nearest first (ties by index). */
    public int[] nearest(float[] query, int n) {
        return rank(query, n).centroids();
    }

    /**
     * Centroids ranked by routing distance from a query, nearest first, with the geometric distance of each
     * (without its bias): the Euclidean distance for l2, and for ip and cosine the Euclidean distance between
     * unit directions ({@code sqrt(2 (1 - cos))}).
     */
    public record Ranking(int[] centroids, double[] distances) {
    }

    /** The {@code n} centroids nearest to {@code query} by routing distance (ties by index), and their distances. */
    public Ranking rank(float[] query, int n) {
        float[] metric = new float[count];
        metricDistances(query, 0, newScratch(), metric);
        float[] routing = new float[count];
        for (int c = 0; c < count; c++) {
            routing[c] = metric[c] + biases[c];
        }
        int[] order = smallest(routing, Math.min(n, count));
        // From the distances before the biases: recovered from the sum, a bias of 91 against a distance of 1e-4 left
        // the distance a few percent off, and the reach rule judges in steps of 5% (review helper 65).
        double[] geometric = new double[order.length];
        for (int i = 0; i < order.length; i++) {
            double unbiased = Math.max(0, metric[order[i]]);
            geometric[i] = Math.sqrt(byDirection() ? 2 * unbiased : unbiased);
        }
        return new Ranking(order, geometric);
    }

    /** Indexes of the {@code n} smallest of {@code values}, smallest first, ties by index. */
    static int[] smallest(float[] values, int n) {
        if (n > 64) {
            return sortedPrefix(values, n);
        }
        int[] best = new int[n];
        float[] bestValues = new float[n];
        int filled = 0;
        for (int c = 0; c < values.length; c++) {
            filled = NearestList.insert(best, bestValues, filled, values[c], c);
        }
        return best;
    }

    /**
     * {@link #smallest} by one sort instead of insertions, which cost O(values x n) when n nears the count (a short
     * answer ranks every centroid). Each key is a value's order-preserving int bits above its index: ties by index.
     */
    private static int[] sortedPrefix(float[] values, int n) {
        long[] keys = new long[values.length];
        for (int c = 0; c < values.length; c++) {
            int bits = Float.floatToIntBits(values[c] + 0f); // -0 + 0 is 0: the two zeros tie, as for insertions
            keys[c] = (long) (bits ^ (bits >> 31 & 0x7fffffff)) << 32 | c;
        }
        Arrays.sort(keys);
        int[] best = new int[n];
        for (int i = 0; i < n; i++) {
            best[i] = (int) keys[i];
        }
        return best;
    }
}
