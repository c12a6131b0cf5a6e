package io.oauth4os;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The native handle of a {@link Client} or {@link Verifier}: freed exactly once, by
 * {@code close()} or, for an object dropped unclosed, when it becomes unreachable. A handle the
 * library no longer knows is refused there ({@link IllegalStateException}), so use after close
 * never touches freed memory.
 */
final class Handle {
    private static final Cleaner CLEANER = Cleaner.create();

    private final String what;
    private final State state;
    private final Cleaner.Cleanable cleanable;

    Handle(Object owner, String what, long handle, LongConsumer free) {
        this.what = what;
        this.state = new State(handle, free);
        this.cleanable = CLEANER.register(owner, state);
    }

    /** The live handle; {@link IllegalStateException} once closed. */
    long get() {
        long h = state.handle.get();
        if (h == 0) {
            throw new IllegalStateException("this " + what + " is closed");
        }
        return h;
    }

    boolean closed() {
        return state.handle.get() == 0;
    }

    void close() {
        cleanable.clean();
    }

    /** Holds no reference to the owner, so the owner can become unreachable. */
    private static final class State implements Runnable {
        final AtomicLong handle;
        final LongConsumer free;

        State(long handle, LongConsumer free) {
            this.handle = new AtomicLong(handle);
            this.free = free;
        }

        @Override
        public void run() {
            long h = handle.getAndSet(0);
            if (h != 0) {
                free.accept(h);
            }
        }
    }
}
