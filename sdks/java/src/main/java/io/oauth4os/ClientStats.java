package io.oauth4os;

/** Counters of a {@link Client}. Immutable. */
public final class ClientStats {
    private final long tokenRequests;

    ClientStats(long tokenRequests) {
        this.tokenRequests = tokenRequests;
    }

    /**
     * Requests sent to the token endpoint so far (one per acquisition or refresh, however many
     * threads asked).
     *
     * @return the count
     */
    public long tokenRequests() {
        return tokenRequests;
    }

    @Override
    public String toString() {
        return "ClientStats[tokenRequests=" + tokenRequests + "]";
    }
}
