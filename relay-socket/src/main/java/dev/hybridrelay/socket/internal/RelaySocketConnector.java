package dev.hybridrelay.socket.internal;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.core.TokenProvider;
import dev.hybridrelay.socket.RelaySocketAddress;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Opens the relay connection behind a {@code RelaySocket}. The production implementation keeps one
 * {@link RelaySender} per hybrid connection so that tokens are cached across sockets; tests
 * substitute an in-memory one.
 */
@FunctionalInterface
public interface RelaySocketConnector {

  /**
   * Connects to {@code address}.
   *
   * @param timeout how long to wait for a listener to accept; {@code null} for the sender's default
   */
  RelayConnection connect(RelaySocketAddress address, Duration timeout) throws IOException;

  /**
   * A connector that uses the address's own credentials, else {@code tokenProvider} (may be
   * {@code null}: anonymous), and lets {@code customizer} (may be {@code null}) adjust each sender.
   */
  static RelaySocketConnector senders(TokenProvider tokenProvider, Consumer<RelaySender.Builder> customizer) {
    return new SenderCache(tokenProvider, customizer);
  }

  /** One {@link RelaySender} per connection string, bounded. */
  final class SenderCache implements RelaySocketConnector {
    private static final int MAX_SENDERS = 256;
    private final TokenProvider tokenProvider;
    private final Consumer<RelaySender.Builder> customizer;
    private final Map<RelayConnectionString, RelaySender> senders = new ConcurrentHashMap<>();

    SenderCache(TokenProvider tokenProvider, Consumer<RelaySender.Builder> customizer) {
      this.tokenProvider = tokenProvider;
      this.customizer = customizer;
    }

    @Override
    public RelayConnection connect(RelaySocketAddress address, Duration timeout) throws IOException {
      RelaySender sender = senders.get(address.connectionString());
      if (sender == null) {
        if (senders.size() >= MAX_SENDERS) {
          senders.clear(); // a host mapping that yields many names must not grow this without bound
        }
        sender = senders.computeIfAbsent(address.connectionString(), this::newSender);
      }
      return timeout == null ? sender.connect() : sender.connect(timeout);
    }

    private RelaySender newSender(RelayConnectionString cs) {
      RelaySender.Builder b = RelaySender.builder(cs);
      if (!cs.hasCredentials()) {
        if (tokenProvider != null) {
          b.tokenProvider(tokenProvider);
        } else if (cs.authentication() == null) {
          b.anonymous(true);
        }
      }
      if (customizer != null) {
        customizer.accept(b);
      }
      return b.build();
    }
  }
}
