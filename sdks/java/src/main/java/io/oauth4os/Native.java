package io.oauth4os;

/**
 * The native methods of the jni binding ({@code bindings/java}), one per facade entry; private
 * to the package. Records cross as JSON strings, handles as {@code long}s, an absent
 * {@code now} as a negative number. Errors arrive as {@link OAuth4osException}s.
 */
final class Native {
    static {
        NativeLoader.load();
    }

    private Native() {}

    static native String version();

    static native String errorCodes();

    static native String errorReasons();

    static native String classify(String method, String path, String query, byte[] body);

    static native String decide(
            String claimsJson, String method, String path, String query, byte[] body, String policiesJson);

    static native String scopesNormalize(String scopes);

    static native boolean scopesAllows(String granted, String action, String target);

    static native boolean scopesCovers(String granted, String scope);

    static native boolean scopesIsWithin(String requested, String ceiling);

    static native String scopesAttenuate(String requested, String allowed);

    static native boolean scopesMatches(String pattern, String index);

    static native long clientNew(String configJson);

    static native void clientFree(long handle);

    static native String clientToken(long handle);

    static native String clientAccessToken(long handle);

    static native String clientRefresh(long handle, String stale);

    static native void clientInvalidate(long handle);

    static native void clientRevoke(long handle, String token);

    static native String clientExchange(
            long handle, String subjectToken, String subjectTokenType, String scope, String resource);

    static native Object[] clientRequest(long handle, String method, String path, byte[] body);

    static native String clientSearch(long handle, String index, String queryJson);

    static native long clientStats(long handle);

    static native long verifierNew(String configJson);

    static native long verifierFromJwks(String jwksJson, String configJson);

    static native void verifierFree(long handle);

    static native String verifierVerify(long handle, String token, long now);

    static native String verifierVerifySync(long handle, String token, long now);

    static native String verifierCached(long handle, String token, long now);

    static native void verifierRevokeJti(long handle, String jti);

    static native void verifierPrefetchKeys(long handle);

    /** Test only: live clients and verifiers. */
    static native long liveHandles();

    /** Test only: panics inside the library. */
    static native void testPanic();
}
