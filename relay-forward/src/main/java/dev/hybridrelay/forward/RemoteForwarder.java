package dev.hybridrelay.forward;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.forward.internal.ForwardLog;
import dev.hybridrelay.forward.internal.ForwardPump;
import dev.hybridrelay.forward.internal.ForwardRelays;
import dev.hybridrelay.forward.internal.ForwardTracker;
import dev.hybridrelay.forward.internal.PortRouting;
import dev.hybridrelay.forward.internal.Preamble;
import dev.hybridrelay.forward.internal.ProxyProtocolHeader;
import dev.hybridrelay.forward.internal.TcpSockets;
import dev.hybridrelay.forward.internal.UnixSockets;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge side of port forwarding, like {@code azbridge -T}/{@code -R}: listens on a hybrid
 * connection and forwards every relayed connection to a configured target: a TCP {@code host:port}
 * or a Unix domain socket file ({@link ForwardTarget#unixSocket}).
 *
 * <pre>{@code
 * RemoteForwarder forwarder = RemoteForwarder.builder(connectionString)
 *     .hybridConnection("db")
 *     .target("postgres", "10.0.0.5", 5432)
 *     .build();
 * forwarder.start();               // returns once the listener is online, or throws
 * }</pre>
 *
 * <h2>No open proxy</h2>
 * A sender chooses a target only by its logical port name, and only among the targets configured
 * here; it never supplies a host or a port. A port name that is not configured is refused: the relay
 * connection is closed without a reply (what azbridge does), and the refusal is logged at WARN naming
 * the asked name and the served ones.
 *
 * <h2>Lone-target rule</h2>
 * As azbridge, a forwarder with exactly one target accepts any numeric port name for it, so
 * {@code -L 13389:hc} reaches {@code -T hc:3389}. It never widens the set of targets, only the names
 * that reach the lone one. With several targets, and for non-numeric names, names match exactly.
 * {@link Builder#strictPortNames(boolean) strictPortNames(true)} turns the rule off, so that a
 * mismatched number is refused and reported. {@link #start()} logs at INFO which rule applies.
 *
 * <h2>Several remote forwarders on one hybrid connection</h2>
 * The listener announces its port names on the listen address ({@code hybridrelay-port}, and
 * {@code hybridrelay-any-numeric-port} under the lone-target rule; {@link Builder#announcePortNames})
 * so that the local relay routes senders by them. A sender that names a port this forwarder does
 * not serve ({@code hybridrelay-port} on its connect address, as a {@link LocalForwarder} sends)
 * is declined before it is accepted, with status 421, so that it tries another listener (logged at
 * DEBUG: on Azure Relay, which chooses at random, it is routine).
 *
 * <h2>PROXY protocol</h2>
 * {@link Builder#proxyProtocol(String, ProxyProtocol)} makes a target receive a PROXY protocol
 * header with the sender's client address before any data; see {@link ProxyProtocol} for where the
 * address comes from and whom to trust.
 *
 * <h2>Per connection</h2>
 * Reads the preamble (unsupported version → reply {@code [0,0,0]}), resolves the port name, checks
 * the mode against the target's kind as azbridge (datagram mode for a TCP target → {@code [0,0,255]};
 * stream mode for a {@link UdpTarget} → {@code [0,0,1]}), connects to the target, then answers
 * {@code [1,0,0]} and pumps bytes both ways. If the target cannot be reached, the relay connection
 * is aborted, so the sender sees a failure rather than a clean refusal.
 *
 * <h2>UDP targets</h2>
 * A {@link UdpTarget} ({@link Builder#udpTarget}) serves relay connections in datagram mode: each
 * one is a flow with its own UDP socket connected to the target, answered {@code [1,0,1]}; datagrams
 * travel framed with a 2-byte big-endian length, replies from the target go back on the same relay
 * connection. A flow idle for {@link ForwardOptions#udpIdleTimeout()} is closed. Datagrams are
 * dropped (counted in {@link #datagramStats()}) when the relay connection's send window or the
 * socket is full; a frame announcing more than 65,507 bytes closes that flow only. TCP and UDP
 * targets share the port names of one hybrid connection.
 *
 * <h2>Threads</h2>
 * The relay listener's threads; a connection's handshake (preamble and target connect) runs on the
 * listener's pooled connection-handler threads ({@code hybridrelay-connection-…}). Once established,
 * a connection is pumped by the shared I/O threads ({@code hybridrelay-io-…}) without a thread of its
 * own; so is a UDP flow, with its UDP socket on the same I/O thread as its relay connection. All
 * methods are thread-safe.
 */
public final class RemoteForwarder implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(RemoteForwarder.class);

  private final RelayConnectionString connectionString;
  private final String hybridConnection;
  private final Map<String, ForwardTarget> targets;
  private final Map<String, UdpTarget> udpTargets;
  private final dev.hybridrelay.forward.internal.UdpCounters udpCounters =
      new dev.hybridrelay.forward.internal.UdpCounters();
  private final dev.hybridrelay.forward.internal.UdpTargets udp;
  private final InetAddress sourceAddress;
  private final boolean loneTargetRule;
  private final ForwardOptions options;
  private final ForwardTracker tracker;
  private final Consumer<RelayListener.Builder> listenerCustomizer;
  private final boolean announcePortNames;
  private final Map<String, ProxyProtocol> proxyProtocols;
  private final Object lock = new Object();
  private RelayListener listener;
  private boolean closed;

  private RemoteForwarder(Builder b) {
    this.connectionString = b.connectionString;
    this.hybridConnection = ForwardRelays.hybridConnection(b.hybridConnection, b.connectionString);
    if (b.targets.isEmpty() && b.udpTargets.isEmpty()) {
      throw new IllegalArgumentException("No target configured for hybrid connection '" + hybridConnection
          + "': call target(portName, host, port) or udpTarget(portName, host, port)");
    }
    this.targets = Collections.unmodifiableMap(new LinkedHashMap<>(b.targets));
    this.udpTargets = Collections.unmodifiableMap(new LinkedHashMap<>(b.udpTargets));
    this.sourceAddress = b.sourceAddress;
    this.loneTargetRule = !b.strictPortNames && targets.size() + udpTargets.size() == 1;
    this.options = b.options;
    this.listenerCustomizer = b.listenerCustomizer;
    this.announcePortNames = b.announcePortNames;
    for (String name : b.proxyProtocols.keySet()) {
      if (!targets.containsKey(name)) {
        throw new IllegalArgumentException("PROXY protocol set for port name '" + name + "', but "
            + (udpTargets.containsKey(name) ? "its target is UDP (the PROXY protocol is written to TCP and Unix socket "
                + "targets only)" : "no target of hybrid connection '" + hybridConnection + "' has that port name"));
      }
    }
    this.proxyProtocols = Map.copyOf(b.proxyProtocols);
    this.tracker = new ForwardTracker("R", options, b.events);
    this.udp = new dev.hybridrelay.forward.internal.UdpTargets(hybridConnection, tracker, udpCounters);
  }

  /** A builder for the connection string's hybrid connection (or the one set with {@link Builder#hybridConnection}). */
  public static Builder builder(String connectionString) {
    return new Builder(RelayConnectionString.parse(connectionString));
  }

  /** A builder for the connection string's hybrid connection (or the one set with {@link Builder#hybridConnection}). */
  public static Builder builder(RelayConnectionString connectionString) {
    return new Builder(Objects.requireNonNull(connectionString, "connectionString"));
  }

  /**
   * Opens the relay listener and returns once it is online.
   *
   * @throws dev.hybridrelay.core.RelayAuthorizationException if the relay refused the credentials
   * @throws dev.hybridrelay.core.RelayConnectException if the relay refused otherwise (no such hybrid connection)
   * @throws IOException on network failure or timeout
   * @throws IllegalStateException if already started or closed
   */
  public void start() throws IOException {
    RelayListener l;
    synchronized (lock) {
      if (closed || listener != null) {
        throw new IllegalStateException(closed ? "The forwarder is closed" : "The forwarder is already started");
      }
      l = ForwardRelays.newListener(connectionString, hybridConnection, lb -> {
        lb.maxMessageSize(options.bufferSize())
            .acceptHandler(request -> {
              String asked = first(request.queryParameters().get(PortRouting.PORT_PARAM));
              if (asked != null && resolve(asked) == null && resolveUdp(asked) == null) {
                // Azure Relay chose this listener at random: decline before accepting, so that the
                // sender tries another one
                log.debug("Declined a sender asking for port name '{}' on hybrid connection '{}' (tracking id {}): "
                    + "not served here", PortRouting.printable(asked), hybridConnection, request.trackingId());
                request.reject(PortRouting.NOT_SERVED_STATUS, "Port name not served by this listener");
                return false;
              }
              if (tracker.hasRoom()) {
                return true;
              }
              request.reject(503, tracker.isClosing() ? "The forwarder is shutting down"
                  : "The forwarder is at its limit of " + options.maxConnections() + " connections");
              return false;
            })
            .connectionHandler(this::handle);
        if (announcePortNames) {
          for (String name : allNames()) {
            lb.queryParameter(PortRouting.PORT_PARAM, name);
          }
          if (loneTargetRule) {
            lb.queryParameter(PortRouting.ANY_NUMERIC_PARAM, "true");
          }
        }
      }, listenerCustomizer);
      listener = l;
    }
    ForwardRelays.open(l, () -> {
      synchronized (lock) {
        listener = null;
      }
    });
    log.info("Forwarding hybrid connection '{}' to {}", hybridConnection, java.util.stream.Stream.concat(
        targets.values().stream().map(ForwardTarget::toString), udpTargets.values().stream().map(UdpTarget::toString))
        .collect(Collectors.joining(", ")));
    log.info("Hybrid connection '{}': {}", hybridConnection, portNameRule());
  }

  /** Tests: handles one relay connection on the calling thread, as the listener would. */
  void handleForTest(RelayConnection relay) {
    handle(relay);
  }

  private void handle(RelayConnection relay) {
    String peer = ForwardLog.peer(relay.remoteAddress());
    if (!tracker.tryReserve()) {
      String why = tracker.isClosing() ? "the forwarder is closing"
          : "the limit of " + options.maxConnections() + " concurrent connections is reached";
      relay.abort();
      refuse(null, peer, "Refused a connection from " + peer + " on hybrid connection '" + hybridConnection + "': "
          + why, null);
      return;
    }
    String id = tracker.nextId();
    boolean pumping = false;
    try (ForwardTracker.Handshake handshake = tracker.handshake(null)) {
      handshake.relay(relay);
      Preamble.Request request;
      OutputStream out;
      try {
        relay.setReadTimeout(options.handshakeTimeout());
        request = Preamble.readRequest(relay.getInputStream());
        out = relay.getOutputStream();
      } catch (SocketTimeoutException e) {
        relay.abort();
        refuse(null, peer, id + " " + peer + ": no azbridge preamble within " + options.handshakeTimeout().toSeconds()
            + " s on hybrid connection '" + hybridConnection + "' — is the sender a port forwarder?", e);
        return;
      } catch (IOException e) {
        relay.abort();
        refuse(null, peer, id + " " + peer + ": reading the preamble failed: " + e.getMessage(), e);
        return;
      }
      if (request == null) {
        closeQuietly(relay);
        refuse(null, peer, id + " " + peer + ": the sender closed before sending a complete preamble", null);
        return;
      }
      if (!request.supported()) {
        reply(relay, out, Preamble.REPLY_UNSUPPORTED_VERSION);
        refuse(null, peer, id + " " + peer + ": unsupported preamble version " + request.major() + "."
            + request.minor() + " mode " + request.mode() + " (answered 0,0,0)", null);
        return;
      }
      String asked = request.portName();
      ForwardTarget target = resolve(asked);
      UdpTarget udpTarget = target == null ? resolveUdp(asked) : null;
      if (udpTarget != null) {
        pumping = handleUdp(id, peer, asked, request.mode(), udpTarget, relay, out, handshake);
        return;
      }
      if (target == null) {
        closeQuietly(relay);
        refuse(asked, peer, id + " " + peer + ": sender asked for port name '" + asked
            + "' but this forwarder on hybrid connection '" + hybridConnection + "' only serves " + servedNames()
            + " — check that the -L rule's port name matches one of them", null);
        return;
      }
      if (request.mode() != Preamble.MODE_STREAM) {
        reply(relay, out, Preamble.REPLY_STREAM_REQUIRED);
        refuse(asked, peer, id + " " + peer + ": sender asked for datagram (UDP) mode for port name '" + asked
            + "', but its target is TCP (answered 0,0,255)", null);
        return;
      }
      SocketChannel socket;
      try {
        socket = target.isUnixSocket() ? UnixSockets.connect(target.socketPath(), handshake)
            : TcpSockets.connect(target.host(), target.port(), sourceAddress, options.targetConnectTimeout(), handshake);
      } catch (IOException | RuntimeException e) {
        relay.abort();
        refuse(asked, peer, id + " " + peer + ": could not connect to the target of port name '" + asked + "', "
            + target.address() + ": " + e.getMessage(), e);
        return;
      }
      SocketAddress targetAddress = target.isUnixSocket() ? UnixDomainSocketAddress.of(target.socketPath())
          : remoteAddress(socket);
      ProxyProtocol proxyProtocol = proxyProtocols.get(target.portName());
      if (proxyProtocol != null) {
        try {
          writeProxyHeader(id, peer, proxyProtocol, relay, socket, targetAddress);
        } catch (IOException e) {
          relay.abort();
          ForwardPump.resetSocket(socket);
          refuse(asked, peer, id + " " + peer + ": could not write the PROXY protocol header to the target of port name '"
              + asked + "', " + target.address() + ": " + e.getMessage(), e);
          return;
        }
      }
      try {
        out.write(Preamble.okReply(Preamble.MODE_STREAM));
        out.flush();
        relay.setReadTimeout(Duration.ZERO);
      } catch (IOException e) {
        relay.abort();
        ForwardPump.resetSocket(socket);
        refuse(asked, peer, id + " " + peer + ": the sender went away during the handshake: " + e.getMessage(), e);
        return;
      }
      if (handshake.isAborted()) {
        relay.abort();
        ForwardPump.resetSocket(socket);
        return;
      }
      ForwardPump pump = tracker.startPump(id, hybridConnection, asked, socket, targetAddress, relay);
      pumping = true;
      log.debug("{} opened: sender {} -> port name '{}' -> {} (tracking id {})", id, peer, asked,
          ForwardLog.peer(targetAddress), relay.trackingId());
      handshake.finished();
      pump.runOnCurrentThread();
    } catch (RuntimeException e) {
      relay.abort();
      refuse(null, peer, id + " " + peer + ": " + e, e);
    } finally {
      if (!pumping) {
        tracker.release();
      }
    }
  }

  /**
   * Writes the PROXY protocol header for the sender's client, from the connect headers that came
   * through the relay; the destination defaults to the target's address. Without a valid source,
   * the "unknown" form.
   */
  private void writeProxyHeader(String id, String peer, ProxyProtocol version, RelayConnection relay,
      SocketChannel socket, SocketAddress targetAddress) throws IOException {
    java.util.Map<String, String> headers = relay.requestHeaders();
    String sourceText = PortRouting.header(headers, PortRouting.SOURCE_HEADER);
    String destinationText = PortRouting.header(headers, PortRouting.DESTINATION_HEADER);
    java.net.InetSocketAddress source = ProxyProtocolHeader.parse(sourceText);
    java.net.InetSocketAddress destination = ProxyProtocolHeader.parse(destinationText);
    if (destination == null && targetAddress instanceof java.net.InetSocketAddress t && t.getAddress() != null) {
      destination = t;
    }
    if (sourceText != null && source == null) {
      log.warn("{} {}: ignored a malformed {} header (expected ip:port); the PROXY header says UNKNOWN", id, peer,
          PortRouting.SOURCE_HEADER);
    } else if (destinationText != null && ProxyProtocolHeader.parse(destinationText) == null) {
      log.warn("{} {}: ignored a malformed {} header (expected ip:port)", id, peer, PortRouting.DESTINATION_HEADER);
    }
    if (source == null) {
      destination = null;
    }
    byte[] header = version == ProxyProtocol.V1 ? ProxyProtocolHeader.v1(source, destination)
        : ProxyProtocolHeader.v2(source, destination);
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(header);
    while (buf.hasRemaining()) {
      socket.write(buf);
    }
    log.debug("{} {}: PROXY {} header for client {}", id, peer, version,
        source == null ? "UNKNOWN" : ProxyProtocolHeader.format(source));
  }

  private static String first(List<String> values) {
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private ForwardTarget resolve(String portName) {
    ForwardTarget t = targets.get(portName);
    if (t == null && loneTargetRule && !targets.isEmpty() && isNumeric(portName)) {
      t = targets.values().iterator().next();
    }
    return t;
  }

  private UdpTarget resolveUdp(String portName) {
    UdpTarget t = udpTargets.get(portName);
    if (t == null && loneTargetRule && !udpTargets.isEmpty() && isNumeric(portName)) {
      t = udpTargets.values().iterator().next();
    }
    return t;
  }

  /** The port names of all targets, TCP first, in configuration order. */
  private List<String> allNames() {
    List<String> names = new ArrayList<>(targets.keySet());
    names.addAll(udpTargets.keySet());
    return names;
  }

  /** A preamble for a UDP target: checks the mode, then starts the flow. True if it started. */
  private boolean handleUdp(String id, String peer, String asked, int mode, UdpTarget target, RelayConnection relay,
      OutputStream out, ForwardTracker.Handshake handshake) {
    if (mode != Preamble.MODE_DATAGRAM) {
      reply(relay, out, Preamble.REPLY_DATAGRAM_REQUIRED);
      refuse(asked, peer, id + " " + peer + ": sender asked for stream (TCP) mode for port name '" + asked
          + "', but its target is UDP (answered 0,0,1)", null);
      return false;
    }
    try {
      if (udp.start(id, asked, target.host(), target.port(), sourceAddress, relay, out, handshake) == null) {
        return false;
      }
    } catch (dev.hybridrelay.forward.internal.UdpTargets.SetupException e) {
      refuse(asked, peer, id + " " + peer + ": port name '" + asked + "' (UDP " + target.host() + ":"
          + target.port() + "): " + e.getMessage(), e.getCause());
      return false;
    }
    log.debug("{} opened: sender {} -> port name '{}' -> udp {}:{} (tracking id {})", id, peer, asked,
        target.host(), target.port(), relay.trackingId());
    return true;
  }

  /** A port name azbridge's lone-target rule treats as numeric: 1-10 ASCII digits, at most 2^31-1. */
  static boolean isNumeric(String portName) {
    return portName.matches("[0-9]{1,10}") && Long.parseLong(portName) <= Integer.MAX_VALUE;
  }

  /** Which port-name rule applies, in words, for the INFO line at start. */
  String portNameRule() {
    if (loneTargetRule) {
      return "one target, so it serves port name '" + allNames().get(0)
          + "' and any numeric port name (azbridge's lone-target rule; strict port names turn it off)";
    }
    return "port names must match exactly: " + servedNames()
        + (targets.size() + udpTargets.size() == 1 ? " (strict port names)" : " (several targets)");
  }

  /** Whether the lone-target rule is in force: one target and not {@link Builder#strictPortNames strict}. */
  public boolean loneTargetRule() {
    return loneTargetRule;
  }

  private String servedNames() {
    List<String> names = new ArrayList<>();
    for (String n : allNames()) {
      names.add("'" + n + "'");
    }
    String s = String.join(", ", names);
    return loneTargetRule ? s + " (and any numeric name)" : s;
  }

  private static SocketAddress remoteAddress(SocketChannel ch) {
    try {
      return ch.getRemoteAddress();
    } catch (IOException e) {
      return null;
    }
  }

  private void reply(RelayConnection relay, OutputStream out, byte[] reply) {
    try {
      out.write(reply);
      out.flush();
    } catch (IOException e) {
      relay.abort();
      return;
    }
    closeQuietly(relay);
  }

  private void refuse(String portName, String peer, String message, Throwable cause) {
    log.warn(message);
    tracker.refused(new ForwardFailure(hybridConnection, portName, peer, message, cause));
  }

  private static void closeQuietly(RelayConnection relay) {
    try {
      relay.shutdownOutput();
      relay.close();
    } catch (IOException | RuntimeException e) {
      relay.abort();
    }
  }

  /** The hybrid connection name. */
  public String hybridConnection() {
    return hybridConnection;
  }

  /** The configured targets by port name, in configuration order. */
  public Map<String, ForwardTarget> targets() {
    return targets;
  }

  /** The PROXY protocol version written to the target of {@code portName}, or {@code null} if none. */
  public ProxyProtocol proxyProtocol(String portName) {
    return proxyProtocols.get(portName);
  }

  /** The configured UDP targets by port name, in configuration order. */
  public Map<String, UdpTarget> udpTargets() {
    return udpTargets;
  }

  /** A snapshot of the UDP targets' datagram counters. */
  public DatagramStats datagramStats() {
    return udpCounters.snapshot();
  }

  /** Whether the relay listener is online. */
  public boolean isOnline() {
    synchronized (lock) {
      return listener != null && listener.isOnline();
    }
  }

  /** The options in force. */
  public ForwardOptions options() {
    return options;
  }

  /** A snapshot of the counters. */
  public ForwardStats stats() {
    return tracker.stats();
  }

  /** The connections being forwarded now. */
  public List<ForwardedConnection> connections() {
    return tracker.connections();
  }

  /** Closes with {@link ForwardOptions#closeTimeout()} as the grace period. */
  @Override
  public void close() {
    close(options.closeTimeout());
  }

  /**
   * Closes the relay listener at once (new senders are no longer routed here), aborts connections
   * still in their handshake, lets forwarded connections finish for up to {@code grace}, then aborts
   * the rest. Idempotent.
   */
  public void close(Duration grace) {
    RelayListener l;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      l = listener;
    }
    if (l != null) {
      try {
        l.close();
      } catch (IOException | RuntimeException e) {
        log.debug("Closing the listener for '{}' failed: {}", hybridConnection, e.toString());
      }
    }
    tracker.closeAll(grace);
    log.debug("Remote forwarder for hybrid connection '{}' closed", hybridConnection);
  }

  @Override
  public String toString() {
    return "RemoteForwarder{'" + hybridConnection + "' -> " + targets.values()
        + (udpTargets.isEmpty() ? "" : " " + udpTargets.values()) + "}";
  }

  /** Configures a {@link RemoteForwarder}. */
  public static final class Builder {
    private final RelayConnectionString connectionString;
    private String hybridConnection;
    private final Map<String, ForwardTarget> targets = new LinkedHashMap<>();
    private final Map<String, UdpTarget> udpTargets = new LinkedHashMap<>();
    private InetAddress sourceAddress;
    private boolean strictPortNames;
    private ForwardOptions options = ForwardOptions.defaults();
    private ForwardEvents events;
    private Consumer<RelayListener.Builder> listenerCustomizer;
    private boolean announcePortNames = true;
    private final Map<String, ProxyProtocol> proxyProtocols = new LinkedHashMap<>();

    private Builder(RelayConnectionString connectionString) {
      this.connectionString = connectionString;
    }

    /** The hybrid connection to listen on; default: the connection string's {@code EntityPath}. */
    public Builder hybridConnection(String name) {
      this.hybridConnection = name;
      return this;
    }

    /**
     * Adds a target: connections asking for {@code portName} go to {@code host:port}.
     *
     * @throws IllegalArgumentException if the port name is already configured, or a value is invalid
     */
    public Builder target(String portName, String host, int port) {
      return target(new ForwardTarget(portName, host, port));
    }

    /**
     * Adds a Unix domain socket target: connections asking for {@code portName} are connected to
     * the socket file {@code path}, as azbridge's {@code -T hc:port_name/local_socket}.
     */
    public Builder unixSocketTarget(String portName, java.nio.file.Path path) {
      return target(ForwardTarget.unixSocket(portName, path));
    }

    /** Adds a target named by its port number, as azbridge's {@code -T hc:host:port}. */
    public Builder target(String host, int port) {
      return target(new ForwardTarget(Integer.toString(port), host, port));
    }

    /** Adds a target. */
    public Builder target(ForwardTarget target) {
      Objects.requireNonNull(target, "target");
      checkUnique(target.portName(), target);
      targets.put(target.portName(), target);
      return this;
    }

    /**
     * Adds a UDP target: relay connections asking for {@code portName} in datagram mode are forwarded
     * to UDP {@code host:port} (azbridge's {@code -T hc:port_name/host:portU}).
     *
     * @throws IllegalArgumentException if the port name is already configured, or a value is invalid
     */
    public Builder udpTarget(String portName, String host, int port) {
      return udpTarget(new UdpTarget(portName, host, port));
    }

    /** Adds a UDP target named as azbridge does, by its port number and {@code U} ({@code "5353U"}). */
    public Builder udpTarget(String host, int port) {
      return udpTarget(new UdpTarget(UdpTarget.defaultPortName(port), host, port));
    }

    /** Adds a UDP target. */
    public Builder udpTarget(UdpTarget target) {
      Objects.requireNonNull(target, "target");
      checkUnique(target.portName(), target);
      udpTargets.put(target.portName(), target);
      return this;
    }

    private void checkUnique(String portName, Object target) {
      Object before = targets.containsKey(portName) ? targets.get(portName) : udpTargets.get(portName);
      if (before != null) {
        throw new IllegalArgumentException("Port name '" + portName + "' is configured twice for "
            + "hybrid connection '" + (hybridConnection != null ? hybridConnection : connectionString.entityPath())
            + "': " + before + " and " + target);
      }
    }

    /** The local source address for connections to targets ({@code -b}); default: chosen by the system. */
    public Builder sourceAddress(InetAddress address) {
      this.sourceAddress = address;
      return this;
    }

    /**
     * Strict port names: turns off azbridge's lone-target rule, so that a forwarder with one target
     * accepts only that target's exact port name. Default {@code false}: as azbridge, a forwarder
     * with exactly one target accepts any numeric port name for it (several targets, or non-numeric
     * names, always match exactly). The rule never adds a target.
     */
    public Builder strictPortNames(boolean strict) {
      this.strictPortNames = strict;
      return this;
    }

    /**
     * The opposite of {@link #strictPortNames(boolean)}: {@code acceptAnyNumericPortName(false)} is
     * {@code strictPortNames(true)}.
     *
     * @deprecated the lone-target rule is on by default now; use {@link #strictPortNames(boolean)}
     */
    @Deprecated
    public Builder acceptAnyNumericPortName(boolean accept) {
      this.strictPortNames = !accept;
      return this;
    }

    /** Limits and timeouts. */
    public Builder options(ForwardOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Receives per-connection events. */
    public Builder events(ForwardEvents events) {
      this.events = events;
      return this;
    }

    /**
     * Writes a PROXY protocol header ({@code v1} text or {@code v2} binary) to the target of
     * {@code portName} before any data of each connection, with the address of the client that
     * connected to the local forwarder (see {@link ProxyProtocol} for where it comes from and whom
     * to trust); {@code null} turns it off again. The target must understand the header (nginx
     * {@code listen … proxy_protocol}, HAProxy {@code accept-proxy}); one that does not sees it as
     * garbage. Default: off, the target sees only the connection from this forwarder. The port name
     * must be one of a TCP or Unix socket target, checked at {@link #build()}.
     */
    public Builder proxyProtocol(String portName, ProxyProtocol version) {
      Objects.requireNonNull(portName, "portName");
      if (version == null) {
        proxyProtocols.remove(portName);
      } else {
        proxyProtocols.put(portName, version);
      }
      return this;
    }

    /**
     * Whether the listener announces its port names to the relay ({@code hybridrelay-port} on the
     * listen address, and {@code hybridrelay-any-numeric-port} under the lone-target rule), so that
     * the local relay hands it only senders asking for one of them. Default {@code true}. Azure
     * Relay does not choose by them (it picks a listener at random); this listener then declines,
     * before accepting, a sender that names a port it does not serve (status 421), and a local
     * forwarder tries another listener.
     */
    public Builder announcePortNames(boolean announce) {
      this.announcePortNames = announce;
      return this;
    }

    /** Adjusts the {@link RelayListener} this forwarder builds (keep-alive, TLS, windows). */
    public Builder listenerCustomizer(Consumer<RelayListener.Builder> customizer) {
      this.listenerCustomizer = customizer;
      return this;
    }

    public RemoteForwarder build() {
      return new RemoteForwarder(this);
    }
  }
}
