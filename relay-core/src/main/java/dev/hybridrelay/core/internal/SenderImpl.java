package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayConnection;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;

/** The sender implementation behind {@code RelaySender}. */
public final class SenderImpl {
  private final SenderConfig config;

  public SenderImpl(SenderConfig config) {
    this.config = config;
  }

  public RelayConnection connect(Duration timeout) throws IOException {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public URI address() {
    URI e = config.connectionString().endpoint();
    return URI.create(e.toString() + config.connectionString().entityPath());
  }
}
