package io.oauth4os;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A request decision and why ({@link OAuth4os#decide}). Immutable. */
public final class Decision {
    private final Map<String, Object> map;

    Decision(Map<String, Object> map) {
        this.map = map;
    }

    /**
     * {@code allow} or {@code deny}.
     *
     * @return the effect
     */
    public String decision() {
        return Values.str(map, "decision");
    }

    /**
     * Whether the request is allowed.
     *
     * @return {@code decision().equals("allow")}
     */
    public boolean allowed() {
        return "allow".equals(decision());
    }

    /**
     * The endpoint the request was classified as, unless it could not be.
     *
     * @return the endpoint
     */
    public Optional<String> endpoint() {
        return Values.optStr(map, "endpoint");
    }

    /**
     * For an allowed request: every access and the scope that grants it.
     *
     * @return the accesses as maps ({@code action}, {@code resource}, {@code scope})
     */
    public List<Map<String, Object>> accesses() {
        return Values.list(map, "accesses").stream().map(Values::map).toList();
    }

    /**
     * For an allowed request: the Cedar policies that permitted it.
     *
     * @return policy ids
     */
    public List<String> policies() {
        return Values.strings(map, "policies");
    }

    /**
     * The token's scopes as the decision read them, space-separated.
     *
     * @return the scopes
     */
    public String scopes() {
        Object s = map.get("scopes");
        return s instanceof List<?> l ? String.join(" ", l.stream().map(String::valueOf).toList()) : String.valueOf(s);
    }

    /**
     * For a denied request: why, as the error the proxy would answer with.
     *
     * @return the error, not thrown
     */
    public Optional<OAuth4osException> error() {
        Object e = map.get("error");
        if (!(e instanceof Map)) {
            return Optional.empty();
        }
        Map<String, Object> m = Values.map(e);
        Long retry = Values.optLong(m, "retry_after").isPresent() ? Values.optLong(m, "retry_after").getAsLong() : null;
        return Optional.of(OAuth4osException.of(Values.str(m, "code"), Values.str(m, "reason"), Values.str(m, "message"),
                Values.str(m, "help"), retry, Values.str(m, "scope")));
    }

    /**
     * Everything the core says, as a map.
     *
     * @return an unmodifiable map
     */
    public Map<String, Object> toMap() {
        return map;
    }

    @Override
    public String toString() {
        return "Decision" + map;
    }
}
