package dev.hybridrelay.socket.internal;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;

/**
 * Where a {@code RelayServerSocket} takes its connections from: an open {@link RelayListener} in
 * production, an in-memory queue in tests.
 */
public interface RelayServerSocketAcceptor extends Closeable {

  /**
   * Waits at most {@code timeout} ({@link Duration#ZERO}: forever) for the next connection.
   *
   * @throws java.net.SocketTimeoutException if none arrived in time
   * @throws java.net.SocketException if closed, or the listener went offline
   */
  RelayConnection accept(Duration timeout) throws IOException;

  /** Whether the listener is currently registered with the relay. */
  boolean isOnline();

  /** Opens {@code listener} (returns once online) and accepts from it. */
  static RelayServerSocketAcceptor open(RelayListener listener) throws IOException {
    try {
      listener.open();
    } catch (IOException | RuntimeException e) {
      try {
        listener.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return new RelayServerSocketAcceptor() {
      @Override
      public RelayConnection accept(Duration timeout) throws IOException {
        return listener.accept(timeout);
      }

      @Override
      public boolean isOnline() {
        return listener.isOnline();
      }

      @Override
      public void close() throws IOException {
        listener.close();
      }

      @Override
      public String toString() {
        return listener.toString();
      }
    };
  }
}
