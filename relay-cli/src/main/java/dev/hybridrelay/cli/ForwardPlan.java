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
      String socketPath, boolean udp) {
    /** A TCP local forward. */
    LocalRule(String bindAddress, int port, String portName, String hybridConnection, String origin) {
      this(bindAddress, port, portName, hybridConnection, origin, null, false);
    }

    /** A Unix socket local forward: listen on the socket file {@code socketPath}. */
    static LocalRule unixSocket(String socketPath, String portName, String hybridConnection, String origin) {
      return new LocalRule(null, 0, portName, hybridConnection, origin, socketPath, false);
    }

    /** A UDP rule ({@code -L [bind_address:]portU[/port_name]:hc_name}); see {@link UdpRules}. */
    static LocalRule udp(String bindAddress, int port, String portName, String hybridConnection, String origin) {
      return new LocalRule(bindAddress, port, portName, hybridConnection, origin, null, true);
    }

    boolean isUnixSocket() {
      return socketPath != null;
    }

    /** As azbridge: the port number as text ({@code U} after it for UDP), or for a Unix socket the path as given. */
    String effectivePortName() {
      return portName != null ? portName : socketPath != null ? socketPath : udp ? port + "U" : Integer.toString(port);
    }
  }

  /**
   * A remote forward ({@code -T}/{@code -R}): connections on {@code hybridConnection} asking for
   * {@code portName} go to {@code host:port}.
   */
  record RemoteRule(String hybridConnection, String portName, String host, int port, String origin,
      String socketPath, boolean udp) {
    /** A TCP remote forward. */
    RemoteRule(String hybridConnection, String portName, String host, int port, String origin) {
      this(hybridConnection, portName, host, port, origin, null, false);
    }

    /** A Unix socket remote forward: connect to the socket file {@code socketPath}. */
    static RemoteRule unixSocket(String hybridConnection, String portName, String socketPath, String origin) {
      return new RemoteRule(hybridConnection, portName, null, 0, origin, socketPath, false);
    }

    /** A UDP rule ({@code -T hc_name:[port_name/][host:]portU}); see {@link UdpRules}. */
    static RemoteRule udp(String hybridConnection, String portName, String host, int port, String origin) {
      return new RemoteRule(hybridConnection, portName, host, port, origin, null, true);
    }

    boolean isUnixSocket() {
      return socketPath != null;
    }

    /** As azbridge: the port number as text ({@code U} after it for UDP), or for a Unix socket the path as given. */
    String effectivePortName() {
      return portName != null ? portName : socketPath != null ? socketPath : udp ? port + "U" : Integer.toString(port);
    }
  }

  /**
   * An HTTP forward ({@code -H hc:{http|https}/[host[/path]:]port}, or {@code Http: true} in the
   * configuration): HTTP requests to {@code hybridConnection} go to {@code scheme://host:port/path}.
   *
   * @param path the prefix, starting and ending with {@code /}
   * @param insecure azbridge's {@code Insecure}: do not verify an https target's certificate
   */
  record HttpRule(String hybridConnection, String scheme, String host, int port, String path, boolean insecure,
      String origin) {
    java.net.URI uri() {
      String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
      return java.net.URI.create(scheme + "://" + h + ":" + port + path);
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
  /** Permissions of Unix socket files that local forwards listen on; null: as the umask leaves them. */
  java.util.Set<java.nio.file.attribute.PosixFilePermission> socketMode;
  /** AzureRelayEndpoint: overrides the connection string's endpoint. */
  String endpoint;
  /** AzureRelaySharedAccessSignature: a token to use instead of the connection string's key. */
  String sharedAccessSignature;
  /** ConnectTimeout: how long a local forwarder waits for the relay; null: the default. */
  Duration connectTimeout;
  /** -a / KeepAliveInterval: the remote forwarders' listener keep-alive; null: the default (30 s). */
  Duration keepAliveInterval;
  /** LogLevel from the configuration, as a logback level name; -v and -q win. */
  String logLevel;
  /** Ignored azbridge keys, logged as warnings at start. */
  final List<String> warnings = new ArrayList<>();
  /** Per-entry ConnectionString of azbridge's configuration, by lower-case hybrid connection name. */
  final java.util.Map<String, String> hybridConnectionStrings = new java.util.LinkedHashMap<>();
  final java.util.Map<String, String> hybridConnectionStringOrigins = new java.util.LinkedHashMap<>();
  /** Lower-case names of hybrid connections whose local forwards connect without a token (NoAuthentication). */
  final java.util.Set<String> anonymousHybridConnections = new java.util.HashSet<>();
  final List<LocalRule> localRules = new ArrayList<>();
  final List<RemoteRule> remoteRules = new ArrayList<>();
  final List<HttpRule> httpRules = new ArrayList<>();
  /** --http-timeout / HttpTimeout: the HTTP forwards' wait for a response head; null: the library's 50 s. */
  Duration httpTimeout;
}
