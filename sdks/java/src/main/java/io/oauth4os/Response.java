package io.oauth4os;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** An answer of the proxy to {@link Client#request(String, String, byte[])}. Immutable. */
public final class Response {
    private final int status;
    private final Map<String, List<String>> headers;
    private final byte[] body;

    Response(String head, byte[] body) {
        List<?> h = (List<?>) Json.parse(head);
        this.status = ((Number) h.get(0)).intValue();
        Map<String, List<String>> headers = new TreeMap<>();
        for (Object pair : (List<?>) h.get(1)) {
            List<?> p = (List<?>) pair;
            headers.computeIfAbsent(((String) p.get(0)).toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add((String) p.get(1));
        }
        headers.replaceAll((k, v) -> List.copyOf(v));
        this.headers = Collections.unmodifiableMap(headers);
        this.body = body;
    }

    /**
     * The HTTP status.
     *
     * @return the status
     */
    public int status() {
        return status;
    }

    /**
     * The headers, names lowercase, each with its values in order.
     *
     * @return the headers
     */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /**
     * The body (a copy).
     *
     * @return the bytes
     */
    public byte[] body() {
        return body.clone();
    }

    /**
     * The body as UTF-8 text.
     *
     * @return the text
     */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * The body parsed as JSON: {@code Map}, {@code List}, {@code String}, {@code Long},
     * {@code Double}, {@code Boolean} or {@code null}.
     *
     * @return the value
     * @throws IllegalArgumentException when the body is not JSON
     */
    public Object json() {
        return Json.parse(text());
    }

    @Override
    public String toString() {
        return "Response[status=" + status + ", " + body.length + " bytes]";
    }
}
