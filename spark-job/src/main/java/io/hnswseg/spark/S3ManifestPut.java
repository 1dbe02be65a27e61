package io.hnswseg.spark;

import org.apache.hadoop.fs.EtagSource;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
import org.apache.hadoop.fs.s3a.impl.PutObjectOptions;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;

/**
 * The manifest's PUT on S3A as a conditional write, so that the commit is a compare-and-swap in one request:
 * {@code If-None-Match: *} when the output held no index at the start (the PUT fails if one appeared since),
 * {@code If-Match: <ETag>} when it replaces one (the PUT fails if it changed since). Without it, a build that
 * committed between another build's re-check and its PUT would be replaced silently (last writer wins).
 *
 * <p>S3A (Hadoop 3.4.1) has no conditional create, so the request goes through the file system's own S3
 * client and request factory: the same credentials, endpoint and encryption settings as every other write of
 * the build. Both are Hadoop internals, and the conditions need an AWS SDK newer than Hadoop 3.4.1 ships:
 * the caller loads this class only for an S3A output and takes a {@link LinkageError} as
 * {@link Outcome#UNSUPPORTED}, as it does a store that does not implement the condition, and falls back to
 * a plain PUT. Stores that accept the headers and ignore them (s3proxy, which the tests use) behave like
 * that plain PUT. The request's options are found by name ({@link #plainOptions}): Hadoop 3.5 (Spark 4.2) renamed the
 * factory method Hadoop 3.4 has, and a call compiled against one did not link on the other (probe helper 106).
 */
final class S3ManifestPut {

    /** What became of the write, and for a write not made, why (the store's error code or what was missing). */
    record Result(Outcome outcome, String detail) {
    }

    /** What became of the write. */
    enum Outcome {
        /** The manifest is written: the output was as the build found it. */
        WRITTEN,
        /** Nothing written: the manifest appeared or changed since the build looked (HTTP 412). */
        CONFLICT,
        /**
         * Not known: another write to the key was still under way after every try (HTTP 409). It may be this
         * build's own earlier try, which the SDK retried after a timeout and which may land yet.
         */
        UNDECIDED,
        /** Nothing written: the store (or this Hadoop) cannot make the write conditional. */
        UNSUPPORTED
    }

    /** Tries of a PUT refused with 409. */
    static final int ATTEMPTS = 3;

    private S3ManifestPut() {
    }

    /**
     * Writes {@code data} to {@code path} of S3A file system {@code fs} only if the object is still as
     * {@code before} found it (null: absent).
     */
    static Result put(FileSystem fs, Path path, byte[] data, FileStatus before) throws IOException {
        S3AFileSystem s3a = (S3AFileSystem) fs;
        PutObjectRequest.Builder request = s3a.getRequestFactory().newPutObjectRequestBuilder(s3a.pathToKey(path),
                plainOptions(), data.length, false);
        S3Client client = s3a.getS3AInternals().getAmazonS3Client("hnswseg manifest commit");
        if (before == null) {
            request.ifNoneMatch("*");
        } else {
            String etag = before instanceof EtagSource source ? source.getEtag() : null;
            if (etag == null || etag.isEmpty()) {
                return new Result(Outcome.UNSUPPORTED, "the store gave no ETag for " + path);
            }
            request.ifMatch(etag);
        }
        return put(client, request.build(), data);
    }

    /**
     * A plain object's options, without conditions of S3A's own: {@code keepingDirs()} in Hadoop 3.4 (parent directory
     * markers kept, as every S3A write of the build keeps them), {@code defaultOptions()} in Hadoop 3.5, which always keeps
     * them.
     *
     * @throws LinkageError when this Hadoop has neither, or the one it has fails (callers take it as unsupported)
     */
    static PutObjectOptions plainOptions() {
        for (String factory : new String[] {"keepingDirs", "defaultOptions"}) {
            try {
                return (PutObjectOptions) PutObjectOptions.class.getMethod(factory).invoke(null);
            } catch (NoSuchMethodException e) {
                // the other Hadoop's name
            } catch (ReflectiveOperationException e) {
                // Not the factory this class expects: taken as a Hadoop without the calls, so the write falls back to a plain PUT.
                Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ? e.getCause() : e;
                IncompatibleClassChangeError unusable = new IncompatibleClassChangeError("S3A's PutObjectOptions." + factory + "(): " + cause);
                unusable.initCause(cause);
                throw unusable;
            }
        }
        throw new NoSuchMethodError("S3A's PutObjectOptions has neither keepingDirs() (Hadoop 3.4) nor defaultOptions() (3.5)");
    }

    /**
     * The conditional {@code request} itself, on {@code client}, with its failures sorted. A 409 (another write
     * to the key raced this one, which S3 asks to retry) is tried again up to {@link #ATTEMPTS} times in all: the
     * other write may fail, or succeed and turn the retry into a 412; still 409 after that is undecided.
     */
    static Result put(S3Client client, PutObjectRequest request, byte[] data) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                client.putObject(request, RequestBody.fromBytes(data));
                return new Result(Outcome.WRITTEN, "");
            } catch (S3Exception e) {
                if (e.statusCode() != 409 || attempt >= ATTEMPTS) {
                    return sorted(e, request);
                }
            } catch (SdkException e) {
                throw new IOException("writing s3://" + request.bucket() + "/" + request.key() + ": " + e.getMessage(), e);
            }
            try {
                Thread.sleep(100L << attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted writing s3://" + request.bucket() + "/" + request.key());
            }
        }
    }

    /** What a refused PUT means: a conflict, a store without conditional writes, or an error. */
    private static Result sorted(S3Exception e, PutObjectRequest request) throws IOException {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        if (e.statusCode() == 412) {
            return new Result(Outcome.CONFLICT, code == null ? "HTTP 412" : code);
        }
        if (e.statusCode() == 409) {
            return new Result(Outcome.UNDECIDED, code == null ? "HTTP 409" : code);
        }
        if (e.statusCode() == 501 || "NotImplemented".equals(code)) {
            return new Result(Outcome.UNSUPPORTED, "the store does not implement conditional writes (" + code + ")");
        }
        throw new IOException("writing s3://" + request.bucket() + "/" + request.key() + ": " + e.getMessage(), e);
    }
}
