package io.oauth4os;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * How the {@code *Async} methods run: the blocking native call on a shared pool of daemon
 * threads (created on demand, idle ones end after a minute). The native side runs the network
 * part on its own Tokio runtime; the pool thread only waits for it. An exception completes the
 * future exceptionally with the {@link OAuth4osException} itself as the cause.
 */
final class Async {
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final ThreadFactory THREADS = r -> {
        Thread t = new Thread(r, "oauth4os-async-" + COUNT.incrementAndGet());
        t.setDaemon(true);
        return t;
    };
    private static final ExecutorService POOL = Executors.newCachedThreadPool(THREADS);

    private Async() {}

    static <T> CompletableFuture<T> run(Supplier<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            POOL.execute(() -> {
                try {
                    f.complete(call.get());
                } catch (Throwable e) {
                    f.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
                }
            });
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
        }
        return f;
    }
}
