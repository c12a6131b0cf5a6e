package io.oauth4os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** What the tests share: the repository, the conformance vectors and the test peers. */
final class Support {
    /** This suite's indices at the shared OpenSearch (the harness gives suite `java` the `java-*` ones). */
    static final String INDEX = "java-logs-1";
    static final String SECRET_INDEX = "java-secret-1";

    private static Map<String, Object> vectors;
    private static Map<String, String> env;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Support() {}

    static Path root() {
        return Paths.get(System.getProperty("oauth4os.root", "../..")).toAbsolutePath().normalize();
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized Map<String, Object> vectors() {
        if (vectors == null) {
            vectors = Json.object(read(root().resolve("core/conformance/vectors.json")));
        }
        return vectors;
    }

    static Map<String, Object> map(Object o) {
        return Values.map(o);
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    /**
     * The OAUTH4OS_TEST_* variables of .ci/harness/peers.sh, from the environment or the file
     * OAUTH4OS_TEST_ENV names. Without peers the end-to-end tests are skipped, unless
     * -Doauth4os.requirePeers=true (ci/test.sh) makes that a failure.
     */
    static synchronized Map<String, String> peers() {
        if (env == null) {
            Map<String, String> e = new HashMap<>();
            String file = System.getenv("OAUTH4OS_TEST_ENV");
            if (file != null && !file.isEmpty()) {
                for (String line : read(Paths.get(file)).split("\n")) {
                    int eq = line.indexOf('=');
                    if (eq > 0) {
                        e.put(line.substring(0, eq), line.substring(eq + 1));
                    }
                }
            }
            System.getenv().forEach((k, v) -> {
                if (k.startsWith("OAUTH4OS_TEST_")) {
                    e.put(k, v);
                }
            });
            env = e;
        }
        boolean have = env.containsKey("OAUTH4OS_TEST_PROXY_URL");
        if (!have && Boolean.getBoolean("oauth4os.requirePeers")) {
            throw new IllegalStateException("no test peers: run through `bash .ci/harness/peers.sh run -- ...`");
        }
        Assumptions.assumeTrue(have, "no test peers (OAUTH4OS_TEST_ENV); end-to-end tests skipped");
        return env;
    }

    static String proxy() {
        return peers().get("OAUTH4OS_TEST_PROXY_URL");
    }

    static String idp() {
        return peers().get("OAUTH4OS_TEST_OIDC_ISSUER");
    }

    static String opensearch() {
        return peers().get("OAUTH4OS_TEST_OPENSEARCH_URL");
    }

    static String secret() {
        return peers().get("OAUTH4OS_TEST_CLIENT_SECRET");
    }

    /** A client of suite `java` at the proxy. */
    static Client.Builder agent(String id, String scope) {
        return Client.builder().issuer(proxy()).clientId(id).clientSecret(secret()).scope(scope).baseUrl(proxy());
    }

    static HttpResponse<String> http(String method, String url, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates this suite's indices with a few documents, straight at OpenSearch. */
    static synchronized void seed() {
        String os = opensearch();
        for (String index : List.of(INDEX, SECRET_INDEX)) {
            http("DELETE", os + "/" + index, null);
            HttpResponse<String> r = http("PUT", os + "/" + index,
                    "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0}}", "content-type", "application/json");
            assertEquals(200, r.statusCode(), r.body());
        }
        String bulk = "{\"index\":{\"_index\":\"" + INDEX + "\",\"_id\":\"1\"}}\n{\"level\":\"error\",\"msg\":\"disk full\"}\n"
                + "{\"index\":{\"_index\":\"" + INDEX + "\",\"_id\":\"2\"}}\n{\"level\":\"info\",\"msg\":\"ok\"}\n"
                + "{\"index\":{\"_index\":\"" + SECRET_INDEX + "\",\"_id\":\"1\"}}\n{\"level\":\"info\",\"msg\":\"the crown jewels\"}\n";
        HttpResponse<String> r = http("POST", os + "/_bulk?refresh=true", bulk, "content-type", "application/x-ndjson");
        assertTrue(r.statusCode() == 200 && r.body().contains("\"errors\":false"), r.body());
    }

    @SuppressWarnings("unchecked")
    static long hits(Map<String, Object> answer) {
        Map<String, Object> hits = (Map<String, Object>) answer.get("hits");
        return ((Number) ((Map<String, Object>) hits.get("total")).get("value")).longValue();
    }
}
