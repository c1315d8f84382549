package dev.hybridrelay.forward;

import java.util.Objects;

/**
 * A remote forwarder's target: the TCP endpoint that connections asking for {@code portName} are
 * forwarded to. Targets are configuration only; a sender can choose among them by port name, never
 * name a host or port itself.
 *
 * @param portName the logical port name senders ask for
 * @param host the target host name or address literal
 * @param port the target TCP port, 1-65535
 */
public record ForwardTarget(String portName, String host, int port) {
  public ForwardTarget {
    dev.hybridrelay.forward.internal.Preamble.portNameBytes(portName);
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("The target host must not be empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("The target port must be 1-65535, but was " + port);
    }
  }

  @Override
  public String toString() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return "'" + portName + "' -> " + h + ":" + port;
  }
}
