package io.oauth4os;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Loads the native library the jar carries, once per class loader.
 *
 * <p>The jar holds {@code io/oauth4os/native/<platform>/<library>} and its SHA-256 next to it
 * ({@code <library>.sha256}). The library is extracted once into a private cache directory
 * ({@code $XDG_CACHE_HOME/oauth4os/native/<version>-<sha256 prefix>}, else
 * {@code ~/.cache/...}; owner-only permissions), its checksum verified on every load, and loaded
 * from there. System property {@code oauth4os.native.library} names a library to load instead
 * (e.g. one built for a platform the jar lacks).
 */
final class NativeLoader {
    /** Overrides the library the jar carries: a path to {@code liboauth4os_java.so} or its kin. */
    static final String OVERRIDE = "oauth4os.native.library";

    private NativeLoader() {}

    /** The platform directory name of this JVM: {@code linux-x86_64}, {@code macos-aarch64}, ... */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux"
                : os.startsWith("mac") || os.startsWith("darwin") ? "macos"
                : os.startsWith("windows") ? "windows" : os.replaceAll("[^a-z0-9]", "");
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch.replaceAll("[^a-z0-9_]", "");
        };
        return o + "-" + a;
    }

    /** The library's file name on this platform. */
    static String libraryName() {
        return System.mapLibraryName("oauth4os_java");
    }

    static void load() {
        String override = System.getProperty(OVERRIDE);
        if (override != null && !override.isEmpty()) {
            System.load(Paths.get(override).toAbsolutePath().toString());
            return;
        }
        String platform = platform();
        String resource = "native/" + platform + "/" + libraryName();
        String expected;
        try (InputStream sum = NativeLoader.class.getResourceAsStream(resource + ".sha256")) {
            if (sum == null) {
                throw unsupported(platform);
            }
            expected = new String(sum.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+")[0];
        } catch (IOException e) {
            throw new UncheckedIOException("oauth4os: cannot read the native library's checksum", e);
        }
        Path file = extract(resource, expected);
        System.load(file.toString());
    }

    /** The error for a platform the jar carries no library for: what to do about it. */
    static UnsatisfiedLinkError unsupported(String platform) {
        return new UnsatisfiedLinkError("oauth4os: this jar has no native library for " + platform
                + " (it carries " + String.join(", ", carried()) + "). Build one on that platform with"
                + " `cargo build --release -p oauth4os-java` in the oauth4os repository and either rebuild"
                + " the jar there (`mvn -f sdks/java package`) or start the JVM with -D" + OVERRIDE
                + "=/path/to/" + libraryName());
    }

    private static String[] carried() {
        String list = "linux-x86_64";
        try (InputStream in = NativeLoader.class.getResourceAsStream("native/platforms")) {
            if (in != null) {
                list = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
            }
        } catch (IOException ignored) {
            // the default list
        }
        return list.split("\\s+");
    }

    /** The verified copy of {@code resource} in the cache, extracting it when absent or altered. */
    private static Path extract(String resource, String sha256) {
        Path dir = cacheDir().resolve(OAuth4os.packageVersion() + "-" + sha256.substring(0, Math.min(16, sha256.length())));
        Path file = dir.resolve(libraryName());
        try {
            if (Files.isRegularFile(file) && sha256.equalsIgnoreCase(digest(Files.readAllBytes(file)))) {
                return file;
            }
            createPrivateDirectories(dir);
            byte[] bytes;
            try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new UnsatisfiedLinkError("oauth4os: the jar lists " + resource + " but does not carry it");
                }
                bytes = in.readAllBytes();
            }
            String actual = digest(bytes);
            if (!sha256.equalsIgnoreCase(actual)) {
                throw new UnsatisfiedLinkError("oauth4os: the native library in the jar is corrupt: SHA-256 "
                        + actual + ", expected " + sha256);
            }
            Path tmp = Files.createTempFile(dir, "lib", ".tmp");
            try {
                Files.write(tmp, bytes);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            if (!sha256.equalsIgnoreCase(digest(Files.readAllBytes(file)))) {
                throw new UnsatisfiedLinkError("oauth4os: the extracted native library " + file + " does not match");
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("oauth4os: cannot extract the native library into " + dir
                    + " (set XDG_CACHE_HOME or -D" + OVERRIDE + ")", e);
        }
    }

    private static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty()
                ? Paths.get(xdg)
                : Paths.get(System.getProperty("user.home"), ".cache");
        return base.resolve("oauth4os").resolve("native");
    }

    private static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(dir);
        }
    }

    static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
