package dev.hybridrelay.forward;

import dev.hybridrelay.forward.internal.Preamble;
import dev.hybridrelay.forward.internal.UnixSockets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A remote forwarder's target: the endpoint that connections asking for {@code portName} are
 * forwarded to, either a TCP {@code host:port} or a Unix domain socket file. Targets are
 * configuration only; a sender can choose among them by port name, never name a host, port or path
 * itself.
 *
 * @param portName the logical port name senders ask for
 * @param host the target host name or address literal; {@code null} for a Unix socket target
 * @param port the target TCP port, 1-65535; 0 for a Unix socket target
 * @param socketPath the Unix domain socket file; {@code null} for a TCP target
 */
public record ForwardTarget(String portName, String host, int port, Path socketPath) {
  public ForwardTarget {
    Preamble.portNameBytes(portName);
    if (socketPath != null) {
      if (host != null || port != 0) {
        throw new IllegalArgumentException("A target is either host:port or a Unix socket, not both");
      }
      UnixSockets.checkPath(socketPath);
    } else {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("The target host must not be empty");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("The target port must be 1-65535, but was " + port);
      }
    }
  }

  /** A TCP target. */
  public ForwardTarget(String portName, String host, int port) {
    this(portName, host, port, null);
  }

  /**
   * A Unix domain socket target: connections asking for {@code portName} are connected to the
   * socket file {@code path}.
   *
   * @throws IllegalArgumentException if the path is longer than the system's limit (see the
   *     forwarding documentation), or the port name is invalid
   */
  public static ForwardTarget unixSocket(String portName, Path path) {
    return new ForwardTarget(portName, null, 0, Objects.requireNonNull(path, "path"));
  }

  /** Whether this is a Unix domain socket target. */
  public boolean isUnixSocket() {
    return socketPath != null;
  }

  /** {@code host:port} ({@code [v6]:port}) or {@code unix:/path}. */
  public String address() {
    if (socketPath != null) {
      return "unix:" + socketPath;
    }
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return h + ":" + port;
  }

  @Override
  public String toString() {
    return "'" + portName + "' -> " + address();
  }
}
