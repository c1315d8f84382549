package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.ListenerState;
import dev.hybridrelay.core.RelayConnection;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;

/** The listener implementation behind {@code RelayListener}. */
public final class ListenerImpl {
  private final ListenerConfig config;

  public ListenerImpl(ListenerConfig config) {
    this.config = config;
  }

  public void open() throws IOException {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public RelayConnection accept(Duration timeout) throws IOException {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public ListenerState state() {
    return ListenerState.NEW;
  }

  public Throwable lastError() {
    return null;
  }

  public URI address() {
    URI e = config.connectionString().endpoint();
    return URI.create(e.toString() + config.connectionString().entityPath());
  }

  public String trackingId() {
    return null;
  }

  public void close() throws IOException {}
}
