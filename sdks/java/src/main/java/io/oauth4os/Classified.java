package io.oauth4os;

import java.util.List;
import java.util.Map;

/** What an OpenSearch request does: its endpoint and every access it needs. Immutable. */
public final class Classified {
    private final Map<String, Object> map;

    Classified(Map<String, Object> map) {
        this.map = map;
    }

    /**
     * A stable name for the endpoint ({@code search}, {@code bulk}, ...).
     *
     * @return the endpoint
     */
    public String endpoint() {
        return Values.str(map, "endpoint");
    }

    /**
     * Every access the request needs, deduplicated and sorted.
     *
     * @return the accesses
     */
    public List<Access> accesses() {
        return Values.list(map, "accesses").stream().map(a -> new Access(Values.map(a))).toList();
    }

    /**
     * Everything the core says, as a map (also the pipelines and contexts a request names).
     *
     * @return an unmodifiable map
     */
    public Map<String, Object> toMap() {
        return map;
    }

    @Override
    public String toString() {
        return "Classified" + map;
    }

    /** One access: an action on a resource. */
    public static final class Access {
        private final Map<String, Object> map;

        Access(Map<String, Object> map) {
            this.map = map;
        }

        /**
         * What is done: {@code read}, {@code write}, {@code manage}, {@code monitor} or {@code admin}.
         *
         * @return the action
         */
        public String action() {
            return Values.str(map, "action");
        }

        /**
         * To what: an index name or pattern, or {@code cluster}.
         *
         * @return the resource
         */
        public String resource() {
            return Values.str(map, "resource");
        }

        @Override
        public String toString() {
            return action() + ":" + resource();
        }
    }
}
