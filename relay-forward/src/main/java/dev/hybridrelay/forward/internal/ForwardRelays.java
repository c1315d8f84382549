package dev.hybridrelay.forward.internal;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * How the forwarders find their hybrid connection and build their {@link RelaySender} or
 * {@link RelayListener} from builder settings.
 */
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

  /**
   * A listener for {@code hybridConnection}: {@code settings} set the forwarder's handlers and limits,
   * then {@code customizer} (may be null) runs, so it may override them.
   */
  public static RelayListener newListener(RelayConnectionString connectionString, String hybridConnection,
      Consumer<RelayListener.Builder> settings, Consumer<RelayListener.Builder> customizer) {
    RelayListener.Builder lb = RelayListener.builder(connectionString).entityPath(hybridConnection);
    settings.accept(lb);
    if (customizer != null) {
      customizer.accept(lb);
    }
    return lb.build();
  }

  /**
   * Opens {@code listener} and returns once it is online. If that fails, closes it, runs
   * {@code forget} (which drops the forwarder's reference to it) and rethrows.
   */
  public static void open(RelayListener listener, Runnable forget) throws IOException {
    try {
      listener.open();
    } catch (IOException | RuntimeException e) {
      try {
        listener.close();
      } catch (IOException ignored) {
        // reporting the open failure
      }
      forget.run();
      throw e;
    }
  }
}
