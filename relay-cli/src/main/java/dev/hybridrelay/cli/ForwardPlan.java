package dev.hybridrelay.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code hybridrelay forward} should run, merged from the configuration file and the command
 * line (the command line wins for single values; rules from both are used).
 */
final class ForwardPlan {

  /**
   * A local forward ({@code -L}): listen on {@code bindAddress:port}, forward to {@code hybridConnection}.
   *
   * @param bindAddress the address text as given, or {@code null} for the default (loopback, or all
   *     interfaces with {@code -g})
   * @param portName the logical port name, or {@code null} for the port number
   * @param origin where the rule came from, for messages ({@code -L 8080:hc}, {@code config.yml line 7})
   * @param udp a UDP port ({@code -L 5353U:hc}); its default port name is the number and {@code U}
   */
  record LocalRule(String bindAddress, int port, String portName, String hybridConnection, String origin,
      boolean udp) {
    /** A TCP rule. */
    LocalRule(String bindAddress, int port, String portName, String hybridConnection, String origin) {
      this(bindAddress, port, portName, hybridConnection, origin, false);
    }

    /** A UDP rule ({@code -L [bind_address:]portU[/port_name]:hc_name}); see {@link UdpRules}. */
    static LocalRule udp(String bindAddress, int port, String portName, String hybridConnection, String origin) {
      return new LocalRule(bindAddress, port, portName, hybridConnection, origin, true);
    }

    String effectivePortName() {
      return portName != null ? portName : udp ? port + "U" : Integer.toString(port);
    }
  }

  /**
   * A remote forward ({@code -T}/{@code -R}): connections on {@code hybridConnection} asking for
   * {@code portName} go to {@code host:port}.
   */
  record RemoteRule(String hybridConnection, String portName, String host, int port, String origin, boolean udp) {
    /** A TCP rule. */
    RemoteRule(String hybridConnection, String portName, String host, int port, String origin) {
      this(hybridConnection, portName, host, port, origin, false);
    }

    /** A UDP rule ({@code -T hc_name:[port_name/][host:]portU}); see {@link UdpRules}. */
    static RemoteRule udp(String hybridConnection, String portName, String host, int port, String origin) {
      return new RemoteRule(hybridConnection, portName, host, port, origin, true);
    }

    String effectivePortName() {
      return portName != null ? portName : udp ? port + "U" : Integer.toString(port);
    }
  }

  String connectionString;
  String connectionStringOrigin;
  String sharedAccessKeyName;
  String sharedAccessKey;
  boolean gatewayPorts;
  String sourceAddress;
  String sourceAddressOrigin;
  Duration statusInterval = Duration.ofSeconds(60);
  Integer maxConnections;
  Duration idleTimeout;
  Duration writeTimeout;
  /** Idle time after which a UDP flow is closed (--udp-idle-timeout); null: the library's 4 minutes. */
  Duration udpIdleTimeout;
  /** Turns off azbridge's lone-target rule (--strict-port-names, StrictPortNames). */
  boolean strictPortNames;
  final List<LocalRule> localRules = new ArrayList<>();
  final List<RemoteRule> remoteRules = new ArrayList<>();
}
