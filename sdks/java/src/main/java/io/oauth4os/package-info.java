/**
 * oauth4os for Java: scoped, revocable OAuth 2.0 access to OpenSearch over the oauth4os Rust core.
 *
 * <ul>
 *   <li>{@link io.oauth4os.Client}: token acquisition with single-flight auto-refresh, revocation,
 *       calls to the proxy;
 *   <li>{@link io.oauth4os.Verifier}: access-token verification with a verified-token cache;
 *   <li>{@link io.oauth4os.Scopes}: the scope grammar; {@link io.oauth4os.OAuth4os}: version,
 *       error codes, request classification and the offline decision;
 *   <li>{@link io.oauth4os.OAuth4osException} and one subclass per error code.
 * </ul>
 *
 * <p>The jar carries the native library ({@code bindings/java}) for linux-x86_64; see
 * {@code sdks/java/README.md}.
 */
package io.oauth4os;
