package io.oauth4os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The package exports exactly the surface in core/facade/surface.json, by the manifest's Java
 * naming rule: a root function or constant is a static method of {@code OAuth4os}, a namespace a
 * final class of static methods, a constructor {@code new} the Java constructor and others static
 * factories; names and parameters camelCase; an async entry is a blocking method plus
 * {@code <name>Async} returning a {@code CompletableFuture}; an optional parameter is nullable
 * ({@code Long} for an int) and overloads may leave trailing optional parameters out. Every
 * signature is compared: name, parameter names and types, return type. A missing, extra,
 * renamed or re-typed entry fails.
 */
class SurfaceTest {
    private static final Map<String, Object> MANIFEST = Json.object(Support.read(Support.root().resolve("core/facade/surface.json")));

    /** What the package adds for Java idiom, beyond the manifest (and the overloads it allows). */
    private static final Set<String> IDIOM = Set.of(
            "static Client.builder() -> Builder",
            "Client.authorizationHeader() -> String",
            "Client.close() -> void",
            "static Verifier.builder() -> Builder",
            "Verifier.close() -> void",
            "static Scopes.parse(String scopes) -> List");

    static String camel(String snake) {
        StringBuilder out = new StringBuilder();
        boolean up = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                out.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return out.toString();
    }

    static String pascal(String snake) {
        String c = camel(snake);
        return Character.toUpperCase(c.charAt(0)) + c.substring(1);
    }

    /** The Java type of a manifest type; {@code optional} params of type int are boxed. */
    static String javaType(String t, boolean optional) {
        if (t.endsWith("?")) {
            return "Optional";
        }
        if (t.startsWith("list<")) {
            return "List";
        }
        return switch (t) {
            case "string" -> "String";
            case "bool" -> "boolean";
            case "int" -> optional ? "Long" : "long";
            case "bytes" -> "byte[]";
            case "json" -> "Map";
            case "unit" -> "void";
            default -> t; // a record or a handle: its class
        };
    }

    /** Every signature the manifest asks for (required) and the shorter overloads it allows. */
    static Map<String, Boolean> expected(Map<String, Object> m) {
        Map<String, Boolean> out = new HashMap<>();
        for (Object f : Support.list(m.get("functions"))) {
            entry(out, "static OAuth4os.", Support.map(f), false);
        }
        for (Object ns : Support.list(m.get("namespaces"))) {
            Map<String, Object> n = Support.map(ns);
            for (Object f : Support.list(n.get("functions"))) {
                entry(out, "static " + pascal((String) n.get("name")) + ".", Support.map(f), false);
            }
        }
        for (Object c : Support.list(m.get("classes"))) {
            Map<String, Object> k = Support.map(c);
            String name = (String) k.get("name");
            for (Object f : Support.list(k.get("constructors"))) {
                Map<String, Object> fn = Support.map(f);
                if ("new".equals(fn.get("name"))) {
                    entry(out, "new " + name, fn, true);
                } else {
                    entry(out, "static " + name + ".", fn, false);
                }
            }
            for (Object f : Support.list(k.get("methods"))) {
                entry(out, name + ".", Support.map(f), false);
            }
        }
        return out;
    }

    private static void entry(Map<String, Boolean> out, String prefix, Map<String, Object> fn, boolean constructor) {
        List<Map<String, Object>> params = Support.list(fn.get("params")).stream().map(Support::map).toList();
        String name = constructor ? "" : camel((String) fn.get("name"));
        String ret = javaType((String) fn.get("returns"), false);
        boolean async = "async".equals(fn.get("mode"));
        for (int n = params.size(); n >= 0; n--) {
            if (n < params.size() && !Boolean.TRUE.equals(params.get(n).get("optional"))) {
                break; // only trailing optional parameters may be left out
            }
            String args = params.subList(0, n).stream()
                    .map(p -> javaType((String) p.get("type"), Boolean.TRUE.equals(p.get("optional"))) + " " + camel((String) p.get("name")))
                    .collect(Collectors.joining(", "));
            boolean required = n == params.size();
            out.merge(prefix + name + "(" + args + ")" + (constructor ? "" : " -> " + ret), required, Boolean::logicalOr);
            if (async) {
                out.merge(prefix + name + "Async(" + args + ") -> CompletableFuture", required, Boolean::logicalOr);
            }
        }
    }

    static String signature(Executable e) {
        String args = java.util.Arrays.stream(e.getParameters())
                .map((Parameter p) -> p.getType().getSimpleName() + " " + p.getName()).collect(Collectors.joining(", "));
        String owner = e.getDeclaringClass().getSimpleName();
        if (e instanceof Constructor) {
            return "new " + owner + "(" + args + ")";
        }
        Method m = (Method) e;
        return (Modifier.isStatic(m.getModifiers()) ? "static " : "") + owner + "." + m.getName() + "(" + args + ") -> "
                + m.getReturnType().getSimpleName();
    }

    /** The public signatures of the surface classes. */
    static Set<String> actual(List<Class<?>> classes) {
        Set<String> out = new TreeSet<>();
        for (Class<?> c : classes) {
            for (Constructor<?> k : c.getConstructors()) {
                out.add(signature(k));
            }
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && !m.isSynthetic()
                        && !Set.of("toString", "equals", "hashCode").contains(m.getName())) {
                    out.add(signature(m));
                }
            }
        }
        return out;
    }

    static List<String> diff(Map<String, Boolean> want, Set<String> got) {
        List<String> problems = new ArrayList<>();
        want.forEach((sig, required) -> {
            if (required && !got.contains(sig)) {
                problems.add("missing " + sig);
            }
        });
        for (String sig : got) {
            if (!want.containsKey(sig) && !IDIOM.contains(sig)) {
                problems.add("extra " + sig);
            }
        }
        java.util.Collections.sort(problems);
        return problems;
    }

    private static final List<Class<?>> SURFACE = List.of(OAuth4os.class, Scopes.class, Client.class, Verifier.class);

    @Test
    void thePackageExportsExactlyTheManifest() {
        assertEquals(List.of(), diff(expected(MANIFEST), actual(SURFACE)));
    }

    @Test
    void namespacesAreFinalClassesOfStaticMethods() {
        for (Class<?> c : List.of(OAuth4os.class, Scopes.class)) {
            assertTrue(Modifier.isFinal(c.getModifiers()), c + " is final");
            assertEquals(0, c.getConstructors().length, c + " has no public constructor");
        }
        assertTrue(AutoCloseable.class.isAssignableFrom(Client.class));
        assertTrue(AutoCloseable.class.isAssignableFrom(Verifier.class));
    }

    @Test
    void everyRecordHasAnAccessorPerField() throws Exception {
        List<String> problems = new ArrayList<>();
        for (Object r : Support.list(MANIFEST.get("records"))) {
            Map<String, Object> rec = Support.map(r);
            Class<?> c = Class.forName("io.oauth4os." + rec.get("name"));
            assertTrue(Modifier.isFinal(c.getModifiers()), c + " is an immutable final class");
            for (Object f : Support.list(rec.get("fields"))) {
                String field = camel(((String) f).replace("?", ""));
                try {
                    c.getMethod(field);
                } catch (NoSuchMethodException e) {
                    problems.add(rec.get("name") + "." + field + "()");
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void oneExceptionClassPerErrorCodeCarryingTheErrorRecord() throws Exception {
        Map<String, Object> errors = Support.map(MANIFEST.get("errors"));
        assertEquals(errors.get("codes"), OAuth4os.errorCodes());
        for (Object code : Support.list(errors.get("codes"))) {
            Class<?> c = Class.forName("io.oauth4os." + pascal((String) code) + "Exception");
            assertTrue(OAuth4osException.class.isAssignableFrom(c), c + " extends OAuth4osException");
            OAuth4osException e = OAuth4osException.of((String) code, "why", "message", null, null, null);
            assertEquals(c, e.getClass());
            assertEquals(code, e.code());
        }
        for (Object f : Support.list(Support.map(errors.get("record")).get("fields"))) {
            String field = camel(((String) f).replace("?", ""));
            OAuth4osException.class.getMethod(field.equals("message") ? "getMessage" : field);
        }
        assertTrue(OAuth4os.errorReasons().contains("revoked"));
    }

    @Test
    void theCheckerCatchesDrift() {
        Map<String, Boolean> want = expected(MANIFEST);
        Set<String> got = actual(SURFACE);
        // An entry the package has but the manifest lacks is extra; a renamed or re-typed one both.
        Map<String, Boolean> fewer = new HashMap<>(want);
        fewer.remove("Verifier.prefetchKeys() -> void");
        fewer.remove("static Scopes.covers(String granted, String scope) -> boolean");
        assertEquals(List.of("extra Verifier.prefetchKeys() -> void",
                "extra static Scopes.covers(String granted, String scope) -> boolean"), diff(fewer, got));
        Map<String, Boolean> more = new HashMap<>(want);
        more.put("static Scopes.intersect(String a, String b) -> String", true);
        more.remove("Verifier.verify(String token, Long now) -> Claims");
        more.put("Verifier.verify(String jwt, Long now) -> Claims", true);
        assertEquals(List.of("extra Verifier.verify(String token, Long now) -> Claims",
                "missing Verifier.verify(String jwt, Long now) -> Claims",
                "missing static Scopes.intersect(String a, String b) -> String"), diff(more, got));
        // An async entry needs its Async twin.
        assertTrue(want.get("Client.tokenAsync() -> CompletableFuture"));
        assertTrue(want.get("Verifier.verifyAsync(String token, Long now) -> CompletableFuture"));
        assertEquals(Boolean.FALSE, want.get("Verifier.verify(String token) -> Claims"), "an allowed overload");
    }
}
