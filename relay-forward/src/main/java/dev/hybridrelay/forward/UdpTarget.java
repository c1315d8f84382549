package dev.hybridrelay.forward;

import java.util.Objects;

/**
 * A remote forwarder's UDP target (azbridge's {@code -T hc:[port_name/][host:]portU}): relay
 * connections asking for {@code portName} in datagram mode are forwarded, datagram by datagram, to
 * {@code host:port}. As with {@link ForwardTarget}, a sender chooses only by port name.
 *
 * @param portName the logical port name senders ask for; azbridge's default is the port number
 *     followed by {@code U}, for example {@code "5353U"}
 * @param host the target host name or address literal
 * @param port the target UDP port, 1-65535
 */
public record UdpTarget(String portName, String host, int port) {
  public UdpTarget {
    dev.hybridrelay.forward.internal.Preamble.portNameBytes(portName);
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("The target host must not be empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("The target UDP port must be 1-65535, but was " + port);
    }
  }

  /** azbridge's default port name for a UDP port: the number followed by {@code U}. */
  public static String defaultPortName(int port) {
    return port + "U";
  }

  @Override
  public String toString() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return "'" + portName + "' -> udp " + h + ":" + port;
  }
}
