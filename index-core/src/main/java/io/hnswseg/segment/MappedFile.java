package io.hnswseg.segment;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A read-only file mapped as a series of chunks, so files over 2 GiB work with {@code ByteBuffer}s.
 * Chunk {@code i} maps {@code [i * chunk, (i + 1) * chunk + overlap)}: any record of at most
 * {@code overlap} bytes lies wholly inside the chunk of its first byte, so reads never straddle two
 * buffers and need no slow path. All reads are absolute, hence safe from many threads.
 *
 * <p>{@link #unmap()} releases the mapping at once; the caller must make sure no read runs during or after it.
 */
final class MappedFile {

    static final int DEFAULT_CHUNK_SHIFT = 30;
    static final int DEFAULT_OVERLAP = 1 << 20;
    /** Bytes {@link #crc32c} copies at a time: small enough to stay in the L2 cache. */
    private static final int CRC_BUFFER_BYTES = 1 << 16;

    /**
     * {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported) bound to the Unsafe instance: Java 17
     * has no public way to unmap a buffer. Null when the runtime lacks it; mappings are then released by
     * the garbage collector once their buffers are unreachable.
     */
    private static final MethodHandle INVOKE_CLEANER = invokeCleaner();

    private final long size;
    private final int shift;
    private final long chunkMask;
    private final int overlap;
    private final ByteBuffer[] bytes;
    private final IntBuffer[] ints;
    private final FloatBuffer[] floats;

    MappedFile(FileChannel channel, long size, int chunkShift, int overlap) throws IOException {
        this.size = size;
        this.shift = chunkShift;
        this.chunkMask = (1L << chunkShift) - 1;
        this.overlap = overlap;
        int chunks = (int) Math.max(1, (size + chunkMask) >>> chunkShift);
        bytes = new ByteBuffer[chunks];
        ints = new IntBuffer[chunks];
        floats = new FloatBuffer[chunks];
        for (int i = 0; i < chunks; i++) {
            long start = (long) i << chunkShift;
            long length = Math.min(size - start, (1L << chunkShift) + overlap);
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, start, Math.max(0, length));
            ByteBuffer chunk = mapped.order(ByteOrder.LITTLE_ENDIAN);
            bytes[i] = chunk;
            ints[i] = chunk.asIntBuffer();
            floats[i] = chunk.asFloatBuffer();
        }
    }

    long size() {
        return size;
    }

    int overlap() {
        return overlap;
    }

    /** A view of the first bytes of the file, for the header. */
    ByteBuffer head() {
        return bytes[0].duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    int getInt(long position) {
        return ints[(int) (position >>> shift)].get((int) ((position & chunkMask) >>> 2));
    }

    long getLong(long position) {
        return bytes[(int) (position >>> shift)].getLong((int) (position & chunkMask));
    }

    byte getByte(long position) {
        return bytes[(int) (position >>> shift)].get((int) (position & chunkMask));
    }

    /** Copies {@code count} ints from a 4-aligned {@code position}; {@code 4 * count <= overlap}. */
    void getInts(long position, int[] into, int offset, int count) {
        ints[(int) (position >>> shift)].get((int) ((position & chunkMask) >>> 2), into, offset, count);
    }

    /** Copies {@code count} bytes from {@code position}; {@code count <= overlap}. */
    void getBytes(long position, byte[] into, int offset, int count) {
        bytes[(int) (position >>> shift)].get((int) (position & chunkMask), into, offset, count);
    }

    /** Copies {@code count} floats from a 4-aligned {@code position}; {@code 4 * count <= overlap}. */
    void getFloats(long position, float[] into, int offset, int count) {
        floats[(int) (position >>> shift)].get((int) ((position & chunkMask) >>> 2), into, offset, count);
    }

    /** A whole section of {@code count} ints from a 4-aligned {@code position}, read an overlap's worth a step. */
    int[] readInts(long position, int count) {
        int[] into = new int[count];
        int step = overlap() / Integer.BYTES;
        for (int from = 0; from < count; from += step) {
            getInts(position + 4L * from, into, from, Math.min(step, count - from));
        }
        return into;
    }

    /** {@link #readInts}, as floats. */
    float[] readFloats(long position, int count) {
        int[] bits = readInts(position, count);
        float[] floats = new float[count];
        for (int i = 0; i < count; i++) {
            floats[i] = Float.intBitsToFloat(bits[i]);
        }
        return floats;
    }

    /**
     * Unmaps the file now (or leaves it to the GC without {@code jdk.unsupported}). Any later read is a
     * NullPointerException here rather than an access to unmapped memory, which would kill the JVM.
     */
    void unmap() {
        ByteBuffer[] mapped = bytes.clone();
        Arrays.fill(bytes, null);
        Arrays.fill(ints, null);
        Arrays.fill(floats, null);
        if (INVOKE_CLEANER == null) {
            return;
        }
        for (ByteBuffer buffer : mapped) {
            try {
                INVOKE_CLEANER.invokeExact(buffer);
            } catch (Throwable e) {
                // Only a slice, a duplicate or a heap buffer is refused, and these are none.
                throw new IllegalStateException("cannot unmap a mapped segment chunk", e);
            }
        }
    }

    private static MethodHandle invokeCleaner() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(field.get(null));
        } catch (ReflectiveOperationException | RuntimeException e) {
            System.getLogger("io.hnswseg.segment").log(System.Logger.Level.INFO,
                    "sun.misc.Unsafe.invokeCleaner is unavailable (" + e + "): closed segments are unmapped by the garbage collector");
            return null;
        }
    }

    /**
     * CRC32C of bytes {@code [0, end)}, copied through a small heap buffer: CRC32C's intrinsic reading the
     * mapping itself is a stub the JVM cannot recover in when the file shrinks under it (the SIGBUS aborts
     * the process), while a bulk copy that faults becomes an InternalError the caller handles.
     */
    long crc32c(long end) {
        CRC32C crc = new CRC32C();
        byte[] buffer = new byte[Math.min(CRC_BUFFER_BYTES, overlap)];
        for (long position = 0; position < end; position += buffer.length) {
            int length = (int) Math.min(buffer.length, end - position);
            getBytes(position, buffer, 0, length);
            crc.update(buffer, 0, length);
        }
        return crc.getValue();
    }
}
