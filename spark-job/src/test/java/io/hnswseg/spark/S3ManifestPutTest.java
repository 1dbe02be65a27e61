package io.hnswseg.spark;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the manifest's conditional PUT reads a store's answers. The tests' S3 store (s3proxy) accepts the
 * conditions and ignores them, so the refusals come from a client that answers as S3 documents.
 */
class S3ManifestPutTest {

    private static final PutObjectRequest REQUEST = PutObjectRequest.builder().bucket("bucket").key("index/manifest.json")
            .ifNoneMatch("*").build();

    /** A client whose putObject records its request and answers with the next of {@code answers} (null: success). */
    private static S3Client answering(List<S3Exception> answers, List<PutObjectRequest> sent) {
        java.util.Iterator<S3Exception> next = answers.iterator();
        return (S3Client) Proxy.newProxyInstance(S3Client.class.getClassLoader(), new Class<?>[]{S3Client.class}, (proxy, method, args) -> {
            if (method.getName().equals("putObject") && args.length == 2 && args[1] instanceof RequestBody) {
                sent.add((PutObjectRequest) args[0]);
                S3Exception failure = next.next();
                if (failure != null) {
                    throw failure;
                }
                return PutObjectResponse.builder().eTag("\"e\"").build();
            }
            throw new UnsupportedOperationException(method.getName());
        });
    }

    private static S3Exception error(int status, String code) {
        return (S3Exception) S3Exception.builder().statusCode(status).message(code)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code).build()).build();
    }

    /** The outcome when the store answers {@code answers} in turn, having been asked {@code requests} times. */
    private static S3ManifestPut.Result put(int requests, S3Exception... answers) throws IOException {
        List<PutObjectRequest> sent = new ArrayList<>();
        S3ManifestPut.Result result = S3ManifestPut.put(answering(java.util.Arrays.asList(answers), sent), REQUEST, new byte[]{'{', '}'});
        assertEquals(java.util.Collections.nCopies(requests, REQUEST), sent, "the requests, each with its condition");
        return result;
    }

    @Test
    void theStoresAnswersAreSorted() throws IOException {
        assertEquals(S3ManifestPut.Outcome.WRITTEN, put(1, (S3Exception) null).outcome());
        S3ManifestPut.Result refused = put(1, error(412, "PreconditionFailed"));
        assertEquals(S3ManifestPut.Outcome.CONFLICT, refused.outcome());
        assertEquals("PreconditionFailed", refused.detail());
        S3ManifestPut.Result unsupported = put(1, error(501, "NotImplemented"));
        assertEquals(S3ManifestPut.Outcome.UNSUPPORTED, unsupported.outcome());
        assertTrue(unsupported.detail().contains("NotImplemented"), unsupported.detail());
        IOException e = assertThrows(IOException.class, () -> put(1, error(403, "AccessDenied")));
        assertTrue(e.getMessage().contains("s3://bucket/index/manifest.json") && e.getMessage().contains("AccessDenied"), e.getMessage());
    }

    @Test
    void aRacingWriteIsWaitedOutBeforeItCountsAsAConflict() throws IOException {
        // 409: another write to the key was under way; it may fail (the retry then writes) or win (a 412).
        S3Exception racing = error(409, "ConditionalRequestConflict");
        assertEquals(S3ManifestPut.Outcome.WRITTEN, put(2, racing, null).outcome());
        assertEquals(S3ManifestPut.Outcome.CONFLICT, put(2, racing, error(412, "PreconditionFailed")).outcome());
        // Still racing after every try: possibly this build's own earlier try, which may land yet. Undecided, so
        // that the commit keeps its files instead of removing those the manifest may list.
        S3ManifestPut.Result kept = put(S3ManifestPut.ATTEMPTS, racing, racing, racing);
        assertEquals(S3ManifestPut.Outcome.UNDECIDED, kept.outcome());
        assertEquals("ConditionalRequestConflict", kept.detail());
    }
}
