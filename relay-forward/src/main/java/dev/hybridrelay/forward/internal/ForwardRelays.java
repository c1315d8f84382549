package dev.hybridrelay.forward.internal;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelaySender;
import java.time.Duration;
import java.util.function.Consumer;

/** How the forwarders find their hybrid connection and build their {@link RelaySender} from builder settings. */
public final class ForwardRelays {
  private ForwardRelays() {}

  /**
   * The hybrid connection set on a builder, else the connection string's {@code EntityPath}.
   *
   * @throws IllegalArgumentException if neither names one
   */
  public static String hybridConnection(String configured, RelayConnectionString connectionString) {
    String hc = configured != null ? configured : connectionString.entityPath();
    if (hc == null) {
      throw new IllegalArgumentException("No hybrid connection given: call hybridConnection(...) or add "
          + "EntityPath=... to the connection string");
    }
    return hc;
  }

  /** The hybrid connection a sender's address names (its path without the leading slash). */
  public static String hybridConnection(RelaySender sender) {
    String path = sender.address().getPath();
    return path.startsWith("/") ? path.substring(1) : path;
  }

  /**
   * A sender for {@code hybridConnection} with the forwarder's connect timeout and, if
   * {@code maxMessageSize} is positive, that message size limit; {@code customizer} (may be null)
   * runs last, so it may override both.
   */
  public static RelaySender newSender(RelayConnectionString connectionString, String hybridConnection,
      Duration connectTimeout, int maxMessageSize, Consumer<RelaySender.Builder> customizer) {
    RelaySender.Builder sb = RelaySender.builder(connectionString).entityPath(hybridConnection)
        .connectTimeout(connectTimeout);
    if (maxMessageSize > 0) {
      sb.maxMessageSize(maxMessageSize);
    }
    if (customizer != null) {
      customizer.accept(sb);
    }
    return sb.build();
  }
}
