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

    /** A client whose putObject records its request and answers with {@code failure} (null: success). */
    private static S3Client answering(S3Exception failure, List<PutObjectRequest> sent) {
        return (S3Client) Proxy.newProxyInstance(S3Client.class.getClassLoader(), new Class<?>[]{S3Client.class}, (proxy, method, args) -> {
            if (method.getName().equals("putObject") && args.length == 2 && args[1] instanceof RequestBody) {
                sent.add((PutObjectRequest) args[0]);
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

    private static S3ManifestPut.Result put(S3Exception failure) throws IOException {
        List<PutObjectRequest> sent = new ArrayList<>();
        S3ManifestPut.Result result = S3ManifestPut.put(answering(failure, sent), REQUEST, new byte[]{'{', '}'});
        assertEquals(List.of(REQUEST), sent, "one request, with its condition");
        return result;
    }

    @Test
    void theStoresAnswersAreSorted() throws IOException {
        assertEquals(S3ManifestPut.Outcome.WRITTEN, put(null).outcome());
        S3ManifestPut.Result refused = put(error(412, "PreconditionFailed"));
        assertEquals(S3ManifestPut.Outcome.CONFLICT, refused.outcome());
        assertEquals("PreconditionFailed", refused.detail());
        assertEquals(S3ManifestPut.Outcome.CONFLICT, put(error(409, "ConditionalRequestConflict")).outcome());
        S3ManifestPut.Result unsupported = put(error(501, "NotImplemented"));
        assertEquals(S3ManifestPut.Outcome.UNSUPPORTED, unsupported.outcome());
        assertTrue(unsupported.detail().contains("NotImplemented"), unsupported.detail());
        IOException e = assertThrows(IOException.class, () -> put(error(403, "AccessDenied")));
        assertTrue(e.getMessage().contains("s3://bucket/index/manifest.json") && e.getMessage().contains("AccessDenied"), e.getMessage());
    }
}
