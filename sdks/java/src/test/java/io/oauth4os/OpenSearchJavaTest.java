package io.oauth4os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.apache.hc.core5.http.HttpHost;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch.core.SearchResponse;
import org.opensearch.client.transport.OpenSearchTransport;
import org.opensearch.client.transport.httpclient5.ApacheHttpClient5TransportBuilder;

/**
 * The client people use, opensearch-java, authenticating through the proxy with an SDK token
 * that renews itself (the README's example, against the test peers).
 */
class OpenSearchJavaTest {
    /** A document of the suite's index. */
    public static final class Log {
        /** Its level. */
        public String level;
        /** Its message. */
        public String msg;
    }

    @BeforeAll
    static void seed() {
        Support.seed();
    }

    @Test
    void opensearchJavaSearchesThroughTheProxyWithASelfRenewingToken() throws Exception {
        // Tokens of `java-short` live 3 s: the interceptor asks the SDK for the header on every
        // request, and the SDK renews the token when it expires.
        try (Client auth = Support.agent("java-short", "read:java-logs-*").build()) {
            OpenSearchTransport transport = ApacheHttpClient5TransportBuilder.builder(HttpHost.create(Support.proxy()))
                    .setHttpClientConfigCallback(http -> http.addRequestInterceptorFirst(
                            (request, entity, context) -> request.setHeader("Authorization", auth.authorizationHeader())))
                    .build();
            try (transport) {
                OpenSearchClient os = new OpenSearchClient(transport);
                SearchResponse<Log> first = os.search(s -> s.index(Support.INDEX)
                        .query(q -> q.match(m -> m.field("level").query(v -> v.stringValue("error")))), Log.class);
                assertEquals(1, first.hits().total().value());
                assertEquals("disk full", first.hits().hits().get(0).source().msg);
                String before = auth.accessToken();
                Thread.sleep(3500);
                SearchResponse<Log> later = os.search(s -> s.index(Support.INDEX), Log.class);
                assertEquals(2, later.hits().total().value());
                assertNotEquals(before, auth.accessToken(), "the token renewed itself");
                assertEquals(2, auth.stats().tokenRequests());
                // Outside the token's scopes: the proxy's 403 reaches opensearch-java as its error.
                java.io.IOException denied = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                        () -> os.search(s -> s.index(Support.SECRET_INDEX), Log.class));
                Throwable cause = denied;
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                org.junit.jupiter.api.Assertions.assertTrue(cause.getMessage().contains("403"), cause.getMessage());
            }
        }
    }
}
