package dev.hybridrelay.cli;

/**
 * UDP MAPPING — the one place where UDP forwarding rules from the command line ({@code -L 5000U:hc},
 * {@code -T hc:5000U}) and from configuration files (azbridge's negative {@code BindPort} /
 * {@code HostPort}, which mean UDP) are turned into forwarders. The parsers recognise UDP syntax and
 * hand it here with everything already checked (addresses, port 1-65535, port name, hybrid
 * connection).
 *
 * <p>Until the UDP forwarder exists, each method refuses with a clear "not supported yet" error, so a
 * UDP rule is never silently treated as TCP. To wire UDP: make these methods return rules of the plan
 * and start them in {@link ForwardCommand#start}.
 */
final class UdpRules {
  private UdpRules() {}

  /**
   * A UDP local forward: listen on UDP {@code bindAddress:port}, forward to {@code hybridConnection}.
   * azbridge's default port name for UDP port N is {@code "NU"}.
   */
  static ForwardPlan.LocalRule local(String origin, String bindAddress, int port, String portName,
      String hybridConnection) throws ForwardConfigException {
    throw notYet(origin, "UDP port " + port);
  }

  /** A UDP remote forward: datagrams for {@code portName} go to UDP {@code host:port}. */
  static ForwardPlan.RemoteRule remote(String origin, String hybridConnection, String portName, String host,
      int port) throws ForwardConfigException {
    throw notYet(origin, "UDP target port " + port);
  }

  /** azbridge's default port name for UDP port {@code port}. */
  static String defaultPortName(int port) {
    return port + "U";
  }

  private static ForwardConfigException notYet(String origin, String what) {
    return new ForwardConfigException(origin + ": " + what + ": UDP forwarding is not supported yet; "
        + "forward TCP or Unix sockets, or use azbridge for this rule");
  }
}
