package dev.hybridrelay.it.support;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.testkit.Payloads;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Full-duplex echo exchanges with digests. */
public final class Transfers {
  private Transfers() {
  }

  /** Sent and received digests of one exchange. */
  public record Result(Payloads.Digest sent, Payloads.Digest received) {
    /** Whether what came back equals what was sent. */
    public boolean intact() {
      return sent.equals(received);
    }
  }

  /**
   * Writes {@code length} seeded bytes (random write sizes) on a second thread, shuts the output
   * down, and reads the echo to EOF on this thread (random read sizes).
   */
  public static Result echo(RelayConnection c, long seed, long length, long timeoutSeconds)
      throws IOException, InterruptedException, TimeoutException {
    CompletableFuture<Payloads.Digest> w = CompletableFuture.supplyAsync(() -> {
      try {
        Payloads.Digest d = Payloads.write(c.getOutputStream(), seed, length,
            Payloads.logUniform(1, 256 * 1024, seed ^ 1));
        c.shutdownOutput();
        return d;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    Payloads.Digest r = Payloads.read(c.getInputStream(),
        Payloads.logUniform(1, 256 * 1024, seed ^ 2));
    try {
      return new Result(w.get(timeoutSeconds, TimeUnit.SECONDS), r);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof java.io.UncheckedIOException
          ? e.getCause().getCause() : e.getCause();
      throw cause instanceof IOException ? (IOException) cause : new IOException(cause);
    }
  }

  /**
   * Connects, then writes {@code chunk} seeded bytes every {@code periodMillis} until
   * {@code deadlineNanos} ({@link System#nanoTime()}), shuts the output down and reads the echo to
   * EOF.
   */
  public static Result pacedEcho(dev.hybridrelay.core.RelaySender sender, long seed,
      long deadlineNanos, int chunk, long periodMillis) throws Exception {
    try (RelayConnection c = sender.connect(java.time.Duration.ofSeconds(10))) {
      return pacedEcho(c, seed, deadlineNanos, chunk, periodMillis);
    }
  }

  /** {@link #pacedEcho(dev.hybridrelay.core.RelaySender, long, long, int, long)} on {@code c}. */
  public static Result pacedEcho(RelayConnection c, long seed, long deadlineNanos, int chunk,
      long periodMillis) throws Exception {
    CompletableFuture<Payloads.Digest> w = CompletableFuture.supplyAsync(() -> {
      try {
        Payloads.Hasher h = Payloads.hasher();
        Payloads.Generator g = new Payloads.Generator(seed);
        byte[] buf = new byte[chunk];
        while (System.nanoTime() < deadlineNanos) {
          g.fill(buf, 0, buf.length);
          c.getOutputStream().write(buf);
          h.update(buf, 0, buf.length);
          Thread.sleep(periodMillis);
        }
        c.shutdownOutput();
        return h.finish();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, PACED);
    Payloads.Digest got = Payloads.read(c.getInputStream(), Payloads.fixed(16 * 1024));
    return new Result(w.get(60, TimeUnit.SECONDS), got);
  }

  private static final java.util.concurrent.ExecutorService PACED =
      java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-paced-writer");
        t.setDaemon(true);
        return t;
      });
}
