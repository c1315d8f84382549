package dev.hybridrelay.it.support;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A byte-stream echo service on the library's {@link RelayListener}: every accepted connection is
 * copied back to the sender until EOF, then the output is shut down and the connection closed.
 * A failed connection is aborted and counted in {@link #failed()}.
 */
public final class EchoListener implements AutoCloseable {
  private final RelayListener listener;
  private final AtomicInteger completed = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicLong bytes = new AtomicLong();

  private EchoListener(String connectionString, Consumer<RelayListener.Builder> custom)
      throws IOException {
    RelayListener.Builder b = RelayListener.builder(connectionString).connectionHandler(this::echo);
    custom.accept(b);
    this.listener = b.build();
    listener.open();
  }

  /** Opens an echo listener (returns once online). */
  public static EchoListener open(String connectionString) throws IOException {
    return new EchoListener(connectionString, b -> { });
  }

  /** Opens an echo listener with builder customisations. */
  public static EchoListener open(String connectionString, Consumer<RelayListener.Builder> custom)
      throws IOException {
    return new EchoListener(connectionString, custom);
  }

  private void echo(RelayConnection c) {
    try {
      InputStream in = c.getInputStream();
      OutputStream out = c.getOutputStream();
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        bytes.addAndGet(n);
      }
      c.shutdownOutput();
      c.close();
      completed.incrementAndGet();
    } catch (IOException | RuntimeException e) {
      failed.incrementAndGet();
      c.abort();
    }
  }

  /** The listener. */
  public RelayListener listener() {
    return listener;
  }

  /** Connections echoed to the end. */
  public int completed() {
    return completed.get();
  }

  /** Connections that failed. */
  public int failed() {
    return failed.get();
  }

  /** Bytes echoed. */
  public long bytes() {
    return bytes.get();
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
