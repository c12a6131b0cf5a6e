package io.oauth4os;

import java.util.Arrays;
import java.util.List;

/**
 * The scope grammar ({@code <action>:<index-pattern>}, e.g. {@code read:logs-*}) over
 * space-separated scope strings. Invalid input is an {@link InvalidScopeException} whose
 * {@link OAuth4osException#reason() reason} says what is wrong.
 */
public final class Scopes {
    private Scopes() {}

    /**
     * The normal form of a scope list: validated, deduplicated, sorted, space-separated.
     *
     * @param scopes space-separated scopes
     * @return the normal form
     * @throws InvalidScopeException when a scope is malformed
     */
    public static String normalize(String scopes) {
        return Native.scopesNormalize(scopes);
    }

    /**
     * The scopes of a list, validated, deduplicated and sorted.
     *
     * @param scopes space-separated scopes
     * @return each scope once
     * @throws InvalidScopeException when a scope is malformed
     */
    public static List<String> parse(String scopes) {
        String n = normalize(scopes);
        return n.isEmpty() ? List.of() : List.copyOf(Arrays.asList(n.split(" ")));
    }

    /**
     * Whether {@code granted} allows {@code action} on {@code target}.
     *
     * @param granted space-separated scopes
     * @param action {@code read}, {@code write}, {@code manage}, {@code monitor} or {@code admin}
     * @param target an index name or pattern
     * @return whether it is allowed
     * @throws InvalidScopeException when a scope or the action is malformed
     */
    public static boolean allows(String granted, String action, String target) {
        return Native.scopesAllows(granted, action, target);
    }

    /**
     * Whether some scope of {@code granted} grants everything the single {@code scope} grants.
     *
     * @param granted space-separated scopes
     * @param scope one scope
     * @return whether it is covered
     * @throws InvalidScopeException when a scope is malformed
     */
    public static boolean covers(String granted, String scope) {
        return Native.scopesCovers(granted, scope);
    }

    /**
     * Whether every scope of {@code requested} lies within {@code ceiling}.
     *
     * @param requested space-separated scopes
     * @param ceiling space-separated scopes
     * @return whether all lie within
     * @throws InvalidScopeException when a scope is malformed
     */
    public static boolean isWithin(String requested, String ceiling) {
        return Native.scopesIsWithin(requested, ceiling);
    }

    /**
     * What may be granted of {@code requested} under {@code allowed} (all of {@code allowed} when
     * {@code requested} is empty).
     *
     * @param requested space-separated scopes
     * @param allowed space-separated scopes
     * @return the scopes granted
     * @throws InvalidScopeException naming the first scope that exceeds {@code allowed}
     */
    public static String attenuate(String requested, String allowed) {
        return Native.scopesAttenuate(requested, allowed);
    }

    /**
     * Whether the index pattern {@code pattern} matches the index name {@code index}.
     *
     * @param pattern an index pattern, e.g. {@code logs-*}
     * @param index an index name
     * @return whether it matches
     * @throws InvalidScopeException when the pattern is malformed
     */
    public static boolean matches(String pattern, String index) {
        return Native.scopesMatches(pattern, index);
    }
}
