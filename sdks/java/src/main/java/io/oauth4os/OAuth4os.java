package io.oauth4os;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;

/**
 * The root functions of oauth4os: the suite version, the error codes and reasons, and the
 * offline request classification and decision. Every rule runs in the Rust core.
 */
public final class OAuth4os {
    private OAuth4os() {}

    /**
     * The suite version the native library was built from, e.g. {@code 0.1.0}; the same as the
     * jar's own version.
     *
     * @return the version
     */
    public static String version() {
        return Native.version();
    }

    /**
     * Every error code in wire form, in the core's order; each has its {@link OAuth4osException}
     * subclass.
     *
     * @return the codes
     */
    public static List<String> errorCodes() {
        return strings(Native.errorCodes());
    }

    /**
     * Every error reason in wire form ({@code revoked}, {@code expired}, ...), in the core's order.
     *
     * @return the reasons
     */
    public static List<String> errorReasons() {
        return strings(Native.errorReasons());
    }

    /**
     * What an OpenSearch request does: its endpoint and every access it needs.
     *
     * @param method the HTTP method
     * @param path the raw (percent-encoded) path, without the query
     * @param query the raw query string without {@code ?}, or {@code null}
     * @param body the request body, or {@code null}
     * @return the classification
     * @throws InvalidRequestException when the request cannot be classified
     */
    public static Classified classify(String method, String path, String query, byte[] body) {
        return new Classified(Json.object(Native.classify(method, path, query, body)));
    }

    /**
     * {@link #classify(String, String, String, byte[])} without a query or body.
     *
     * @param method the HTTP method
     * @param path the raw (percent-encoded) path
     * @return the classification
     * @throws InvalidRequestException when the request cannot be classified
     */
    public static Classified classify(String method, String path) {
        return classify(method, path, null, null);
    }

    /**
     * The request decision and why, offline: may a token with these verified claims make this
     * request under these Cedar policies? (The explanation the proxy, the MCP endpoint and the
     * language server give.)
     *
     * @param claimsJson the verified claims as JSON (e.g. {@link Claims#toJson()})
     * @param method the HTTP method
     * @param path the raw path, without the query
     * @param query the raw query string, or {@code null}
     * @param body the request body, or {@code null}
     * @param policiesJson a JSON object of policy file name to Cedar text, or {@code null} for the
     *     built-in scope policy only
     * @return the decision
     * @throws InvalidRequestException when the claims are not valid JSON claims
     * @throws ConfigException when a policy does not parse
     */
    public static Decision decide(
            String claimsJson, String method, String path, String query, byte[] body, String policiesJson) {
        return new Decision(Json.object(Native.decide(claimsJson, method, path, query, body, policiesJson)));
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(String json) {
        return (List<String>) Json.parse(json);
    }

    /** The jar's version (from its build), which must equal the native library's. */
    static String packageVersion() {
        Properties p = new Properties();
        try (InputStream in = OAuth4os.class.getResourceAsStream("oauth4os.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version", "unknown");
    }
}
