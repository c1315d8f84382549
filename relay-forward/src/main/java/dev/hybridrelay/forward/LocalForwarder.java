package dev.hybridrelay.forward;

import dev.hybridrelay.core.RelayCloseStatus;
import dev.hybridrelay.core.RelayConnectException;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.forward.internal.ForwardLog;
import dev.hybridrelay.forward.internal.ForwardPump;
import dev.hybridrelay.forward.internal.ForwardRelays;
import dev.hybridrelay.forward.internal.ForwardThreads;
import dev.hybridrelay.forward.internal.ForwardTracker;
import dev.hybridrelay.forward.internal.PortRouting;
import dev.hybridrelay.forward.internal.Preamble;
import dev.hybridrelay.forward.internal.ProxyProtocolHeader;
import dev.hybridrelay.forward.internal.TcpSockets;
import dev.hybridrelay.forward.internal.UnixSockets;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud side of port forwarding, like {@code ssh -L} or {@code azbridge -L}: listens on a local
 * TCP port (or a Unix domain socket file, {@link Builder#unixSocket(Path)}) and forwards every accepted connection through the relay to the {@link RemoteForwarder}
 * listening on a hybrid connection.
 *
 * <pre>{@code
 * LocalForwarder forwarder = LocalForwarder.builder(connectionString)
 *     .hybridConnection("db")
 *     .port(15432)                 // listens on 127.0.0.1:15432
 *     .portName("postgres")        // must match the remote forwarder's target name
 *     .build();
 * forwarder.start();
 * ...
 * forwarder.close();               // graceful, bounded by ForwardOptions.closeTimeout
 * }</pre>
 *
 * <h2>Per connection</h2>
 * One relay connection per TCP connection. The forwarder writes the azbridge preamble (version 1.0,
 * stream mode, the port name), then what the client has already sent (up to 16 KiB, not waited for;
 * see {@link ForwardOptions.Builder#earlyData}), and waits for the 3-byte reply; only {@code [1,0,0]}
 * starts forwarding. If the relay refuses (no listener, credentials), the remote forwarder does not know the
 * port name (it closes without reply), or anything else fails before forwarding, the TCP client is
 * reset and the reason is logged at WARN and reported to {@link ForwardEvents#onRefused}. Then bytes
 * are pumped both ways with half-close and abort semantics described in {@link ForwardOutcome}.
 *
 * <h2>Several listeners</h2>
 * The connect address names the port ({@code hybridrelay-port=NAME}), so that the local relay hands
 * the connection to a remote forwarder that serves it. Azure Relay picks a listener at random: one
 * that does not serve the name declines with status 421 (a Hybrid Relay remote forwarder, before
 * accepting) or closes after the preamble without a reply (azbridge), and the connection tries
 * another listener, up to {@link Builder#portNameAttempts(int)} times in all (retries logged at
 * DEBUG, a connection that needed them once at INFO, running out at WARN and as a refusal); an
 * azbridge listener's close is retried only with {@link Builder#retryAzbridgeRefusals(boolean)}.
 *
 * <h2>The client's address</h2>
 * The connect headers {@code Hybridrelay-Source} and {@code Hybridrelay-Destination} carry the TCP
 * client's address and the local address it connected to ({@code ip:port}), for a remote forwarder
 * that writes a PROXY protocol header ({@link RemoteForwarder.Builder#proxyProtocol}); see
 * {@link Builder#sendClientAddress(boolean)}.
 *
 * <h2>Binding</h2>
 * The default bind address is the loopback address: only this machine can use the forwarded port.
 * Binding a wider address makes the port reachable for anyone who can reach this host.
 *
 * <h2>Threads</h2>
 * One accept thread ({@code hybridrelay-forward-accept-…}) and, while connections are being set up,
 * pooled threads ({@code hybridrelay-forward-handshake-…}, ended after 2 idle seconds) for their
 * handshakes (relay connect and preamble). Once
 * established, a connection is pumped by the shared I/O threads ({@code hybridrelay-io-…}) without a
 * thread of its own. All daemon threads. All methods are thread-safe.
 */
public final class LocalForwarder implements Closeable {
  /** The default of {@link Builder#portNameAttempts(int)}: as many as a hybrid connection can have listeners. */
  public static final int DEFAULT_PORT_NAME_ATTEMPTS = 25;
  /** At most this much of the client's first bytes goes out with the preamble ({@link ForwardOptions#earlyData()}). */
  static final int EARLY_DATA_MAX = 16 * 1024;
  /** One buffer per handshake thread (pooled threads), not per connection. */
  private static final ThreadLocal<ByteBuffer> EARLY_DATA =
      ThreadLocal.withInitial(() -> ByteBuffer.allocate(EARLY_DATA_MAX));
  private static final Logger log = LoggerFactory.getLogger(LocalForwarder.class);

  private final RelayConnector connector;
  private final String hybridConnection;
  private final InetAddress bindAddress;
  private final int port;
  private final Path unixSocket;
  private final Set<PosixFilePermission> socketPermissions;
  private final String configuredPortName;
  private final ForwardOptions options;
  private final ForwardTracker tracker;
  private final int portNameAttempts;
  private final boolean sendClientAddress;
  private final boolean retryAzbridgeRefusals;
  private final java.util.concurrent.atomic.AtomicLong portNameRefusals = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong relayConnectRetries = new java.util.concurrent.atomic.AtomicLong();
  private final Object lock = new Object();
  private ServerSocketChannel serverSocket;
  private SocketAddress boundAddress;
  private Object socketFileKey;
  private volatile String portName;
  private volatile boolean closed;

  private LocalForwarder(Builder b) {
    this.options = b.options;
    this.bindAddress = b.bindAddress != null ? b.bindAddress : InetAddress.getLoopbackAddress();
    this.port = b.port;
    this.unixSocket = b.unixSocket;
    this.socketPermissions = b.socketPermissions;
    if (unixSocket != null && (b.port != 0 || b.bindAddress != null)) {
      throw new IllegalArgumentException("A local forwarder listens on a TCP port or on a Unix socket, not both");
    }
    this.configuredPortName = b.portName;
    if (b.connector != null) {
      this.connector = b.connector;
      this.hybridConnection = b.hybridConnection;
    } else if (b.sender != null) {
      this.connector = new SenderConnector(b.sender);
      this.hybridConnection = ForwardRelays.hybridConnection(b.sender);
    } else {
      String hc = ForwardRelays.hybridConnection(b.hybridConnection, b.connectionString);
      this.connector = new SenderConnector(ForwardRelays.newSender(b.connectionString, hc,
          options.relayConnectTimeout(), options.bufferSize(), b.senderCustomizer));
      this.hybridConnection = hc;
    }
    this.portNameAttempts = b.portNameAttempts;
    this.sendClientAddress = b.sendClientAddress;
    this.retryAzbridgeRefusals = b.retryAzbridgeRefusals;
    this.tracker = new ForwardTracker("L", options, b.events);
  }

  /** A builder for the connection string's hybrid connection (or the one set with {@link Builder#hybridConnection}). */
  public static Builder builder(String connectionString) {
    return new Builder(RelayConnectionString.parse(connectionString));
  }

  /** A builder for the connection string's hybrid connection (or the one set with {@link Builder#hybridConnection}). */
  public static Builder builder(RelayConnectionString connectionString) {
    return new Builder(Objects.requireNonNull(connectionString, "connectionString"));
  }

  /** A builder that opens relay connections with {@code sender}, which fixes the hybrid connection. */
  public static Builder builder(RelaySender sender) {
    Builder b = new Builder(null);
    b.sender = Objects.requireNonNull(sender, "sender");
    return b;
  }

  /**
   * Binds the local port or socket file and starts accepting. Returns at once; connections are
   * forwarded on their own threads.
   *
   * <p>A Unix socket file that exists is replaced only if it is a socket nothing accepts on (left
   * behind by a crash); see {@link Builder#unixSocket(Path)}.
   *
   * @throws java.net.BindException if the port is taken, the address is not local, or the socket
   *     file is in use or is not a socket
   * @throws IllegalArgumentException if the socket path is longer than the system allows
   * @throws IllegalStateException if already started or closed
   */
  public void start() throws IOException {
    synchronized (lock) {
      if (closed || serverSocket != null) {
        throw new IllegalStateException(closed ? "The forwarder is closed" : "The forwarder is already started");
      }
      ServerSocketChannel ss;
      String acceptName;
      if (unixSocket != null) {
        ss = UnixSockets.listen(unixSocket, socketPermissions);
        boundAddress = UnixDomainSocketAddress.of(unixSocket);
        socketFileKey = UnixSockets.fileKey(unixSocket);
        portName = configuredPortName != null ? configuredPortName : unixSocket.toString();
        acceptName = "accept-unix-" + unixSocket.getFileName();
      } else {
        ss = TcpSockets.listen(bindAddress, port);
        boundAddress = ss.getLocalAddress();
        int bound = ((InetSocketAddress) boundAddress).getPort();
        portName = configuredPortName != null ? configuredPortName : Integer.toString(bound);
        acceptName = "accept-" + bound;
      }
      serverSocket = ss;
      SocketAddress where = boundAddress;
      ForwardThreads.newThread(acceptName, () -> acceptLoop(ss, where)).start();
      log.info("Forwarding {} to hybrid connection '{}' port name '{}'", ForwardLog.peer(where), hybridConnection,
          portName);
    }
  }

  private void acceptLoop(ServerSocketChannel ss, SocketAddress where) {
    while (ss.isOpen()) {
      SocketChannel socket;
      try {
        socket = ss.accept();
      } catch (IOException e) {
        if (ss.isOpen()) {
          log.warn("Accepting on {} failed: {}", ForwardLog.peer(where), e.toString());
          try {
            Thread.sleep(100);
          } catch (InterruptedException ie) {
            return;
          }
        }
        continue;
      }
      if (!tracker.tryReserve()) {
        String why = tracker.isClosing() ? "the forwarder is closing"
            : "the limit of " + options.maxConnections() + " concurrent connections is reached";
        SocketAddress p = peerOf(socket, where);
        refuse(socket, p, "Refused connection from " + ForwardLog.peer(p) + ": " + why, null);
        continue;
      }
      String id = tracker.nextId();
      SocketAddress p = peerOf(socket, where);
      try {
        ForwardThreads.handshake(() -> handle(id, socket, p));
      } catch (RuntimeException | OutOfMemoryError e) {
        tracker.release();
        refuse(socket, p, "Could not start a thread for " + ForwardLog.peer(p), e);
      }
    }
  }

  /** A TCP client's address; for a Unix socket client (which has none) the socket file listened on. */
  private static SocketAddress peerOf(SocketChannel socket, SocketAddress where) {
    if (where instanceof UnixDomainSocketAddress) {
      return where;
    }
    try {
      return socket.getRemoteAddress();
    } catch (IOException e) {
      return where;
    }
  }

  private void handle(String id, SocketChannel socket, SocketAddress peerAddress) {
    String peer = ForwardLog.peer(peerAddress);
    String name = portName;
    boolean pumping = false;
    try (ForwardTracker.Handshake handshake = tracker.handshake(socket)) {
      if (!(peerAddress instanceof UnixDomainSocketAddress)) {
        TcpSockets.configure(socket);
      }
      Map<String, String> query = Map.of(PortRouting.PORT_PARAM, name);
      Map<String, String> headers = sendClientAddress ? clientHeaders(socket, peerAddress) : Map.of();
      RelayConnection relay = null;
      ByteBuffer[] early = {null}; // read once, on the first attempt; sent again on each retry
      int refusals = 0;
      for (int attempt = 1; relay == null; attempt++) {
        Attempt a = attempt(id, peer, socket, peerAddress, name, query, headers, handshake, early);
        if (a.connection != null) {
          relay = a.connection;
        } else if (!a.portNameRefused) {
          return;
        } else if (attempt >= portNameAttempts || handshake.isAborted()) {
          if (!handshake.isAborted()) {
            refuse(socket, peerAddress, id + " " + peer + ": " + (portNameAttempts == 1
                ? describe(Preamble.ReplyKind.CLOSED_WITHOUT_REPLY, name) : attemptsExhausted(name, attempt)), null);
          } else {
            ForwardPump.resetSocket(socket);
          }
          return;
        } else {
          refusals++;
          portNameRefusals.incrementAndGet();
          log.debug("{} {}: a listener of hybrid connection '{}' does not serve port name '{}' (attempt {} of {}); "
              + "trying another", id, peer, hybridConnection, name, attempt, portNameAttempts);
        }
      }
      if (refusals > 0) {
        log.info("{} {}: port name '{}' reached on attempt {} ({} listener(s) of hybrid connection '{}' did not "
            + "serve it)", id, peer, name, refusals + 1, refusals, hybridConnection);
      }
      if (handshake.isAborted()) {
        relay.abort();
        ForwardPump.resetSocket(socket);
        return;
      }
      ForwardPump pump = tracker.startPump(id, hybridConnection, name, socket, peerAddress, relay);
      pumping = true;
      pump.countEarlyBytes(early[0] == null ? 0 : early[0].remaining());
      log.debug("{} opened: {} -> hybrid connection '{}' port name '{}' (tracking id {})", id, peer,
          hybridConnection, name, relay.trackingId());
      handshake.finished();
      pump.runOnCurrentThread();
    } finally {
      if (!pumping) {
        tracker.release();
      }
    }
  }

  /**
   * Reads what the client has sent so far (at most {@link #EARLY_DATA_MAX} bytes) without waiting
   * into this thread's buffer, which is flipped; the socket is blocking again afterwards.
   *
   * @throws IOException if the client's socket failed (a reset)
   */
  private static ByteBuffer readEarlyData(SocketChannel socket) throws IOException {
    ByteBuffer b = EARLY_DATA.get();
    b.clear();
    socket.configureBlocking(false);
    try {
      socket.read(b);
    } finally {
      socket.configureBlocking(true);
    }
    return b.flip();
  }

  /** Extra tries of a relay connection that broke before the WebSocket upgrade (see {@link #connectRelay}). */
  private static final long[] RETRY_PAUSE_MILLIS = {20, 100};
  static final int RELAY_CONNECT_RETRIES = RETRY_PAUSE_MILLIS.length;

  /**
   * The sender's relay connection, tried again up to {@link #RELAY_CONNECT_RETRIES} times (after 20
   * and 100 ms) when the attempt failed at the transport before the relay answered the WebSocket
   * upgrade: connection refused or reset, or closed during the handshake. Such an attempt delivered
   * nothing (the preamble and the client's first bytes are only sent after the upgrade), so trying
   * again cannot duplicate data. This is the case of a relay node behind a load balancer that was
   * killed a moment ago: its kernel still completes TCP connects until the process is gone, so the
   * balancer's own redispatch does not see a failed connect. An answer of the relay (401, 403, 404,
   * ...), a time-out, a proxy's refusal and a handshake the client already aborted are not retried;
   * neither is anything after the upgrade.
   */
  private RelayConnection connectRelay(String id, String peer, Map<String, String> query,
      Map<String, String> headers, ForwardTracker.Handshake handshake) throws IOException {
    long deadline = System.nanoTime() + options.relayConnectTimeout().toNanos();
    for (int retry = 0; ; retry++) {
      Duration left = Duration.ofNanos(deadline - System.nanoTime());
      try {
        return connector.connect(left.isNegative() || left.isZero() ? Duration.ofMillis(1) : left, query, headers);
      } catch (IOException e) {
        if (retry >= RELAY_CONNECT_RETRIES || !retriable(e) || handshake.isAborted()
            || System.nanoTime() + RETRY_PAUSE_MILLIS[retry] * 1_000_000 >= deadline) {
          throw e;
        }
        log.info("{} {}: the relay connection for hybrid connection '{}' broke before the WebSocket upgrade ({});"
            + " trying again ({} of {})", id, peer, hybridConnection, e.getMessage(), retry + 1,
            RELAY_CONNECT_RETRIES);
        relayConnectRetries.incrementAndGet();
        try {
          Thread.sleep(RETRY_PAUSE_MILLIS[retry]);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** A transport failure before the upgrade: no answer of the relay, no time-out, no proxy refusal. */
  static boolean retriable(IOException e) {
    return !(e instanceof dev.hybridrelay.core.RelayRefusal)
        && !(e instanceof dev.hybridrelay.core.RelayProxyException)
        && !(e instanceof SocketTimeoutException)
        && !(e instanceof javax.net.ssl.SSLException)
        && (e instanceof java.net.SocketException || e instanceof java.io.EOFException);
  }

  /** Tests: relay connections tried again after breaking before the upgrade (see {@link #connectRelay}). */
  long relayConnectRetries() {
    return relayConnectRetries.get();
  }

  /** One relay connection and preamble; the connection if accepted, else whether to try another listener. */
  private record Attempt(RelayConnection connection, boolean portNameRefused) {}

  private Attempt attempt(String id, String peer, SocketChannel socket, SocketAddress peerAddress, String name,
      Map<String, String> query, Map<String, String> headers, ForwardTracker.Handshake handshake,
      ByteBuffer[] early) {
    RelayConnection relay;
    try {
      relay = connectRelay(id, peer, query, headers, handshake);
    } catch (RelayConnectException e) {
      if (e.statusCode() == PortRouting.NOT_SERVED_STATUS) {
        return new Attempt(null, true);
      }
      refuse(socket, peerAddress, id + " " + peer + ": the relay refused the connection to hybrid connection '"
          + hybridConnection + "': " + e.getMessage(), e);
      return new Attempt(null, false);
    } catch (IOException | RuntimeException e) {
      refuse(socket, peerAddress, id + " " + peer + ": could not connect to hybrid connection '" + hybridConnection
          + "' through the relay: " + e, e);
      return new Attempt(null, false);
    }
    handshake.relay(relay);
    Preamble.ReplyKind reply;
    try {
      relay.setReadTimeout(options.handshakeTimeout());
      Preamble.writeRequest(relay.getOutputStream(), Preamble.MODE_STREAM, name);
      if (options.earlyData()) {
        if (early[0] == null) {
          try {
            early[0] = readEarlyData(socket);
          } catch (IOException e) {
            relay.abort();
            refuse(socket, peerAddress, id + " " + peer + ": the client reset the connection during the handshake: "
                + e.getMessage(), e);
            return new Attempt(null, false);
          }
        }
      }
      try {
        if (early[0] != null && early[0].remaining() > 0) {
          relay.getOutputStream().write(early[0].array(), early[0].position(), early[0].remaining());
        }
        reply = Preamble.readReply(relay.getInputStream(), Preamble.MODE_STREAM);
      } catch (java.net.SocketException e) {
        // A peer that refuses closes cleanly without a reply (Close 1000). While our early data is
        // still unread in its socket, or still being written, that close can reach us as a reset
        // after the Close frame: the same answer as a plain close. A reset without a clean Close
        // before it (1006: the remote forwarder or a relay node died, or it aborted) is a lost
        // connection.
        if (!refusedBeforeReset(relay, early[0])) {
          throw new LostBeforeReply(e);
        }
        reply = Preamble.ReplyKind.CLOSED_WITHOUT_REPLY;
      }
      relay.setReadTimeout(Duration.ZERO);
    } catch (LostBeforeReply e) {
      relay.abort();
      refuse(socket, peerAddress, id + " " + peer + ": the connection to the remote forwarder on hybrid connection '"
          + hybridConnection + "' was lost while waiting for its reply for port name '" + name + "' (the remote"
          + " forwarder or a relay node went away, or it could not reach its target): " + e.getCause().getMessage(),
          e.getCause());
      return new Attempt(null, false);
    } catch (SocketTimeoutException e) {
      relay.abort();
      refuse(socket, peerAddress, id + " " + peer + ": the remote forwarder on hybrid connection '" + hybridConnection
          + "' did not answer the preamble for port name '" + name + "' within "
          + options.handshakeTimeout().toSeconds() + " s — is it an azbridge-compatible forwarder?", e);
      return new Attempt(null, false);
    } catch (IOException e) {
      relay.abort();
      refuse(socket, peerAddress, id + " " + peer + ": the remote forwarder on hybrid connection '" + hybridConnection
          + "' failed the connection for port name '" + name + "' before accepting it (it could not reach"
          + " its target, or it failed): " + e.getMessage(), e);
      return new Attempt(null, false);
    }
    if (reply == Preamble.ReplyKind.OK) {
      return new Attempt(relay, false);
    }
    if (reply == Preamble.ReplyKind.CLOSED_WITHOUT_REPLY) {
      closeQuietly(relay);
      if (retryAzbridgeRefusals) {
        // an azbridge listener's refusal of the port name: another listener may serve it
        return new Attempt(null, true);
      }
      refuse(socket, peerAddress, id + " " + peer + ": " + describe(reply, name), null);
      return new Attempt(null, false);
    }
    relay.abort();
    refuse(socket, peerAddress, id + " " + peer + ": " + describe(reply, name), null);
    return new Attempt(null, false);
  }

  /** A reset while awaiting the preamble reply that was not a refusal; carries the reset as its cause. */
  private static final class LostBeforeReply extends IOException {
    private static final long serialVersionUID = 1L;

    LostBeforeReply(java.net.SocketException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /**
   * Whether a reset while awaiting the preamble reply is the remote forwarder's refusal: our early
   * data was sent (so its close could turn into a reset) and the peer's Close 1000 arrived first.
   */
  static boolean refusedBeforeReset(RelayConnection relay, ByteBuffer early) {
    if (early == null || early.remaining() == 0) {
      return false;
    }
    RelayCloseStatus status = relay.closeStatus().orElse(null);
    return status != null && status.code() == 1000;
  }

  private String attemptsExhausted(String name, int attempts) {
    return "no listener of hybrid connection '" + hybridConnection + "' took port name '" + name + "' in "
        + attempts + " attempt(s) (each chosen by the relay; on Azure Relay at random) — check that a -T rule "
        + "serves it (for example -T " + hybridConnection + ":" + name + "/host:port)"
        + (attempts > 1 ? ", or allow more attempts" : "");
  }

  /** The client's and the forwarded port's addresses as connect headers; none for a Unix socket client. */
  private static Map<String, String> clientHeaders(SocketChannel socket, SocketAddress peer) {
    if (!(peer instanceof InetSocketAddress client) || client.getAddress() == null) {
      return Map.of();
    }
    Map<String, String> h = new LinkedHashMap<>();
    h.put(PortRouting.SOURCE_HEADER, ProxyProtocolHeader.format(client));
    try {
      if (socket.getLocalAddress() instanceof InetSocketAddress local && local.getAddress() != null) {
        h.put(PortRouting.DESTINATION_HEADER, ProxyProtocolHeader.format(local));
      }
    } catch (IOException e) {
      // the client is gone; the source alone is still true
    }
    return h;
  }

  private String describe(Preamble.ReplyKind reply, String name) {
    switch (reply) {
      case CLOSED_WITHOUT_REPLY:
        return "the remote forwarder on hybrid connection '" + hybridConnection + "' refused port name '" + name
            + "' — check that its -T rule uses the same port name (for example -T " + hybridConnection + ":"
            + name + "/host:port)";
      case UNSUPPORTED_VERSION:
        return "the remote forwarder on hybrid connection '" + hybridConnection
            + "' does not support preamble version 1.0 (reply 0,0,0)";
      case DATAGRAM_REQUIRED:
        return "the remote forwarder on hybrid connection '" + hybridConnection + "' forwards port name '" + name
            + "' to a UDP target; this forwarder only does TCP (reply 0,0,1)";
      case STREAM_REQUIRED:
        return "the remote forwarder on hybrid connection '" + hybridConnection
            + "' expected stream mode (reply 0,0,255)";
      default:
        return "the remote forwarder on hybrid connection '" + hybridConnection
            + "' sent an unknown preamble reply; is it an azbridge-compatible forwarder?";
    }
  }

  private void refuse(SocketChannel socket, SocketAddress peer, String message, Throwable cause) {
    log.warn(message);
    ForwardPump.resetSocket(socket);
    tracker.refused(new ForwardFailure(hybridConnection, portName, ForwardLog.peer(peer), message, cause));
  }

  private static void closeQuietly(RelayConnection relay) {
    try {
      relay.close();
    } catch (IOException | RuntimeException e) {
      relay.abort();
    }
  }

  /** The bound TCP address; {@code null} before {@link #start()} and for a Unix socket. */
  public InetSocketAddress localAddress() {
    synchronized (lock) {
      return boundAddress instanceof InetSocketAddress ? (InetSocketAddress) boundAddress : null;
    }
  }

  /** The Unix socket file listened on, or {@code null} for a TCP port. */
  public Path unixSocket() {
    return unixSocket;
  }

  /** The bound port; -1 before {@link #start()}. */
  public int localPort() {
    InetSocketAddress a = localAddress();
    return a == null ? -1 : a.getPort();
  }

  /** The hybrid connection name. */
  public String hybridConnection() {
    return hybridConnection;
  }

  /**
   * The port name sent in the preamble: as configured, else the local port number as text (known
   * after {@link #start()} when the port is 0).
   */
  public String portName() {
    String p = portName;
    if (p != null || configuredPortName != null) {
      return p != null ? p : configuredPortName;
    }
    if (unixSocket != null) {
      return unixSocket.toString();
    }
    return port == 0 ? null : Integer.toString(port);
  }

  /** Tests: how many times a listener declined a port name and another one was tried. */
  long portNameRefusals() {
    return portNameRefusals.get();
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
   * Stops accepting at once (and removes the Unix socket file, if it is still the one this forwarder
   * bound), aborts connections still in their handshake, lets forwarded connections finish for up to
   * {@code grace}, then aborts the rest. Idempotent.
   */
  public void close(Duration grace) {
    ServerSocketChannel ss;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      ss = serverSocket;
    }
    if (ss != null) {
      try {
        ss.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      if (unixSocket != null) {
        UnixSockets.remove(unixSocket, socketFileKey);
      }
    }
    tracker.closeAll(grace);
    log.debug("Local forwarder for hybrid connection '{}' closed", hybridConnection);
  }

  @Override
  public String toString() {
    InetSocketAddress a = localAddress();
    String where = unixSocket != null ? "unix:" + unixSocket
        : a == null ? bindAddress.getHostAddress() + ":" + port : ForwardLog.peer(a);
    return "LocalForwarder{" + where
        + " -> '" + hybridConnection + "' port name '" + portName() + "'}";
  }

  /** Opens one relay connection. */
  @FunctionalInterface
  interface RelayConnector {
    RelayConnection connect(Duration timeout) throws IOException;

    /** With extra query parameters and headers; by default they are dropped. */
    default RelayConnection connect(Duration timeout, Map<String, String> query, Map<String, String> headers)
        throws IOException {
      return connect(timeout);
    }
  }

  /** A {@link RelayConnector} on a {@link RelaySender}. */
  static final class SenderConnector implements RelayConnector {
    private final RelaySender sender;

    SenderConnector(RelaySender sender) {
      this.sender = sender;
    }

    @Override
    public RelayConnection connect(Duration timeout) throws IOException {
      return sender.connect(timeout);
    }

    @Override
    public RelayConnection connect(Duration timeout, Map<String, String> query, Map<String, String> headers)
        throws IOException {
      return sender.connect(timeout, query, headers);
    }
  }

  /** Configures a {@link LocalForwarder}. */
  public static final class Builder {
    private final RelayConnectionString connectionString;
    private RelaySender sender;
    private String hybridConnection;
    private InetAddress bindAddress;
    private int port;
    private Path unixSocket;
    private Set<PosixFilePermission> socketPermissions;
    private String portName;
    private ForwardOptions options = ForwardOptions.defaults();
    private ForwardEvents events;
    private Consumer<RelaySender.Builder> senderCustomizer;
    private RelayConnector connector;
    private int portNameAttempts = DEFAULT_PORT_NAME_ATTEMPTS;
    private boolean sendClientAddress = true;
    private boolean retryAzbridgeRefusals;

    private Builder(RelayConnectionString connectionString) {
      this.connectionString = connectionString;
    }

    /** The hybrid connection to forward to; default: the connection string's {@code EntityPath}. */
    public Builder hybridConnection(String name) {
      if (sender != null) {
        throw new IllegalStateException("The sender given to builder(RelaySender) fixes the hybrid connection");
      }
      this.hybridConnection = name;
      return this;
    }

    /** The local address to listen on; default the loopback address. */
    public Builder bindAddress(InetAddress address) {
      this.bindAddress = address;
      return this;
    }

    /** The local port to listen on, 0 for any free port (see {@link LocalForwarder#localPort()}). Default 0. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("The port must be 0-65535, but was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Listens on a Unix domain socket file instead of a TCP port, as azbridge's
     * {@code -L local_socket:hc}. The path must fit the system's limit (107 bytes on Linux). A file
     * that exists at {@link LocalForwarder#start()} is replaced only if it is a socket nothing accepts
     * on (a stale file left by a crash, logged at INFO); if a process accepts on it, or it is not a
     * socket, {@code start()} fails. {@code close()} removes the file.
     */
    public Builder unixSocket(Path path) {
      UnixSockets.checkPath(path);
      this.unixSocket = path;
      return this;
    }

    /**
     * The permissions of the Unix socket file, set right after binding and before the first accept.
     * Default {@code null}: the mode the process's umask leaves (with umask 022 {@code rwxr-xr-x},
     * so only the owner can connect, since connecting needs write permission). For a guarantee that
     * covers the moment of binding, put the socket in a directory only the intended users can enter.
     */
    public Builder socketPermissions(Set<PosixFilePermission> permissions) {
      this.socketPermissions = permissions == null ? null : Set.copyOf(permissions);
      return this;
    }

    /**
     * The logical port name sent in the preamble; the remote forwarder maps it to its target.
     * Default: the local port number as text, as azbridge; for a Unix socket, the path as given.
     */
    public Builder portName(String portName) {
      Preamble.portNameBytes(portName);
      this.portName = portName;
      return this;
    }

    /** Limits and timeouts. */
    public Builder options(ForwardOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * How many listeners one client connection may try before it is refused because none served
     * its port name (default {@value LocalForwarder#DEFAULT_PORT_NAME_ATTEMPTS}; 1: no retry). A
     * Hybrid Relay remote forwarder that does not serve the name declines it before accepting
     * (status 421); an azbridge one closes after the preamble, which is retried only with
     * {@link #retryAzbridgeRefusals(boolean)}. Azure Relay chooses a
     * listener at random, so with {@code n} listeners of which one serves the name, all attempts
     * miss with probability {@code (1 - 1/n)^attempts}; the local relay chooses one that serves it.
     */
    public Builder portNameAttempts(int attempts) {
      if (attempts < 1 || attempts > 1000) {
        throw new IllegalArgumentException("portNameAttempts must be 1-1000, but was " + attempts);
      }
      this.portNameAttempts = attempts;
      return this;
    }

    /**
     * Whether an azbridge remote forwarder's refusal of the port name (it closes the connection
     * after the preamble without a reply) counts as a port-name refusal that
     * {@link #portNameAttempts(int)} retries on another listener. Default {@code false}: refused at
     * once, as before, since a lone misconfigured listener would otherwise see every attempt. Turn
     * it on for several azbridge {@code -T} listeners with different port names on Azure Relay.
     */
    public Builder retryAzbridgeRefusals(boolean retry) {
      this.retryAzbridgeRefusals = retry;
      return this;
    }

    /**
     * Whether to send the client's address and port, and the local address it connected to, as
     * connect headers ({@code Hybridrelay-Source}, {@code Hybridrelay-Destination}) that a remote
     * forwarder can pass to its target as a PROXY protocol header. Default {@code true}; azbridge
     * ignores them.
     */
    public Builder sendClientAddress(boolean send) {
      this.sendClientAddress = send;
      return this;
    }

    /** Receives per-connection events. */
    public Builder events(ForwardEvents events) {
      this.events = events;
      return this;
    }

    /** Adjusts the {@link RelaySender} this forwarder builds (TLS, keep-alive, windows). */
    public Builder senderCustomizer(Consumer<RelaySender.Builder> customizer) {
      this.senderCustomizer = customizer;
      return this;
    }

    /** Tests: opens relay connections with {@code connector} instead of a {@link RelaySender}. */
    Builder connector(RelayConnector connector, String hybridConnection) {
      this.connector = connector;
      this.hybridConnection = hybridConnection;
      return this;
    }

    public LocalForwarder build() {
      return new LocalForwarder(this);
    }
  }
}
