package io.hnswseg.spark;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records the conditional headers of every PUT of a {@code manifest.json} that S3A's client sends, as the
 * store receives them: s3proxy ignores the conditions, so a test reads them here. Installed by class name
 * through {@code fs.s3a.audit.execution.interceptors}.
 */
public final class ManifestPutHeaders implements ExecutionInterceptor {

    /** Per PUT of a manifest, in order: its If-None-Match and If-Match headers (absent ones left out). */
    static final List<Map<String, String>> SENT = new CopyOnWriteArrayList<>();

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        SdkHttpRequest request = context.httpRequest();
        if (request.method() == SdkHttpMethod.PUT && request.encodedPath().endsWith("/manifest.json")) {
            Map<String, String> conditions = new java.util.TreeMap<>();
            request.firstMatchingHeader("If-None-Match").ifPresent(v -> conditions.put("If-None-Match", v));
            request.firstMatchingHeader("If-Match").ifPresent(v -> conditions.put("If-Match", v));
            SENT.add(conditions);
        }
    }
}
