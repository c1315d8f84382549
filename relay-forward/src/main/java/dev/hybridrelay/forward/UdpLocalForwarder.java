package dev.hybridrelay.forward;

import dev.hybridrelay.core.RelayConnectException;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.core.internal.ConnectionImpl;
import dev.hybridrelay.core.internal.IoLoop;
import dev.hybridrelay.forward.internal.DatagramFraming;
import dev.hybridrelay.forward.internal.ForwardLog;
import dev.hybridrelay.forward.internal.ForwardRelays;
import dev.hybridrelay.forward.internal.ForwardThreads;
import dev.hybridrelay.forward.internal.ForwardTracker;
import dev.hybridrelay.forward.internal.Preamble;
import dev.hybridrelay.forward.internal.UdpCounters;
import dev.hybridrelay.forward.internal.UdpFlow;
import java.io.Closeable;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud side of UDP forwarding, as {@code azbridge -L [bind_address:]portU[/port_name]:hc}:
 * receives datagrams on a local UDP port and forwards them through the relay to the
 * {@link RemoteForwarder} whose {@link UdpTarget} has the same port name; replies come back to the
 * datagram's sender.
 *
 * <pre>{@code
 * UdpLocalForwarder forwarder = UdpLocalForwarder.builder(connectionString)
 *     .hybridConnection("dns")
 *     .port(5353)                  // receives on 127.0.0.1:5353 (UDP)
 *     .build();                    // port name "5353U", as azbridge
 * forwarder.start();
 * }</pre>
 *
 * <h2>Flows</h2>
 * Each UDP source endpoint (address and port) gets its own flow: one relay connection, opened at its
 * first datagram, that starts with azbridge's preamble in datagram mode ({@code [1,0,1,n]} and the
 * port name) and goes on only if the reply is {@code [1,0,1]}. Each datagram then travels as a
 * 2-byte big-endian length and the payload; datagrams from the relay are sent back to the flow's
 * source endpoint from the forwarder's port. A flow with no datagram in either direction for
 * {@link ForwardOptions#udpIdleTimeout()} (4 minutes, as azbridge) is closed; the source's next
 * datagram opens a new one. {@link ForwardOptions#maxConnections()} limits the flows.
 *
 * <h2>Loss, limits and failures</h2>
 * UDP may lose datagrams, and so does this forwarder, always whole and counted
 * ({@link #datagramStats()}, {@link ForwardedFlow#datagramsDropped()}), never in part and never
 * corrupting the framing: while a flow connects, up to 128 datagrams (1 MiB) wait and more are
 * dropped; once open, a datagram is dropped when the relay connection's send window is full, and a
 * reply when the local socket's buffer is full. Datagrams larger than 65,507 bytes (possible over
 * IPv6) are refused, counted and logged at WARN (at most every 10 seconds per forwarder). If the
 * relay or the remote forwarder refuses the flow (no listener, unknown port name, the target is TCP:
 * reply {@code [0,0,255]}), the refusal is logged at WARN and reported to
 * {@link ForwardEvents#onRefused}, and datagrams from that source are dropped for one second before
 * the next attempt. A frame longer than 65,507 bytes from the relay closes only its flow.
 *
 * <h2>Threads</h2>
 * No thread per flow: the UDP socket and every flow's relay connection are served by the shared I/O
 * threads ({@code hybridrelay-io-…}); relay connects and preambles run on the pooled daemon threads
 * {@code hybridrelay-forward-handshake-…}. The bind address defaults to the loopback address. All
 * methods are thread-safe.
 */
public final class UdpLocalForwarder implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(UdpLocalForwarder.class);
  /** Datagrams a connecting flow holds at most. */
  static final int PENDING_DATAGRAMS = 128;
  /** Payload bytes a connecting flow holds at most. */
  static final int PENDING_BYTES = 1 << 20;
  /** How long datagrams from a source whose flow was refused are dropped before the next attempt. */
  static final long RETRY_NANOS = Duration.ofSeconds(1).toNanos();
  private static final long TOO_LARGE_LOG_NANOS = Duration.ofSeconds(10).toNanos();
  /** Socket buffer sizes asked for the forwarder's UDP socket (the system may grant less). */
  static final int SOCKET_BUFFER = 1 << 20;

  private final LocalForwarder.RelayConnector connector;
  private final String hybridConnection;
  private final InetAddress bindAddress;
  private final int port;
  private final String configuredPortName;
  private final ForwardOptions options;
  private final ForwardTracker tracker;
  private final UdpCounters counters = new UdpCounters();
  private final Map<SocketAddress, Route> routes = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private DatagramChannel channel;
  private IoLoop loop;
  private SelectionKey key;
  private volatile String portName;
  private volatile boolean closed;
  private long lastTooLargeLog; // loop thread only
  private long lastSweep = System.nanoTime(); // loop thread only

  private UdpLocalForwarder(Builder b) {
    this.options = b.options;
    this.bindAddress = b.bindAddress != null ? b.bindAddress : InetAddress.getLoopbackAddress();
    this.port = b.port;
    this.configuredPortName = b.portName;
    if (b.sender != null) {
      this.connector = new LocalForwarder.SenderConnector(b.sender);
      this.hybridConnection = ForwardRelays.hybridConnection(b.sender);
    } else {
      String hc = ForwardRelays.hybridConnection(b.hybridConnection, b.connectionString);
      this.connector = new LocalForwarder.SenderConnector(ForwardRelays.newSender(b.connectionString, hc,
          options.relayConnectTimeout(), 0, b.senderCustomizer));
      this.hybridConnection = hc;
    }
    this.tracker = new ForwardTracker("U", options, b.events);
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
   * Binds the local UDP port and starts receiving. Returns at once.
   *
   * @throws java.net.BindException if the port is taken or the address is not local
   * @throws IllegalStateException if already started or closed
   */
  public void start() throws IOException {
    synchronized (lock) {
      if (closed || channel != null) {
        throw new IllegalStateException(closed ? "The forwarder is closed" : "The forwarder is already started");
      }
      DatagramChannel ch = DatagramChannel.open(bindAddress instanceof Inet6Address
          ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
      IoLoop l = null;
      try {
        ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
        ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
        ch.bind(new InetSocketAddress(bindAddress, port));
        ch.configureBlocking(false);
        l = IoLoop.acquire();
        key = l.register(ch, SelectionKey.OP_READ, (k, ops) -> receive());
      } catch (IOException | RuntimeException e) {
        ch.close();
        if (l != null) {
          l.release();
        }
        throw e;
      }
      channel = ch;
      loop = l;
      int bound = ((InetSocketAddress) ch.getLocalAddress()).getPort();
      portName = configuredPortName != null ? configuredPortName : UdpTarget.defaultPortName(bound);
      log.info("Forwarding UDP {} to hybrid connection '{}' port name '{}'",
          ForwardLog.peer(ch.getLocalAddress()), hybridConnection, portName);
    }
  }

  /** On the loop: reads what the socket holds, datagram by datagram. */
  private void receive() {
    ByteBuffer buf = loop.readBuffer();
    for (int i = 0; i < 64; i++) {
      buf.clear();
      buf.position(DatagramFraming.HEADER);
      SocketAddress from;
      try {
        from = channel.receive(buf);
      } catch (IOException e) {
        if (!closed) {
          log.debug("Receiving on UDP {} failed: {}", port, e.toString());
        }
        return;
      }
      if (from == null) {
        return;
      }
      int n = buf.position() - DatagramFraming.HEADER;
      if (n > DatagramFraming.MAX_DATAGRAM) {
        long count = counters.tooLarge();
        long now = System.nanoTime();
        if (lastTooLargeLog == 0 || now - lastTooLargeLog > TOO_LARGE_LOG_NANOS) {
          lastTooLargeLog = now | 1L;
          log.warn("Refused a UDP datagram of {} bytes from {} for hybrid connection '{}': at most {} bytes can be "
              + "forwarded ({} refused so far)", n, ForwardLog.peer(from), hybridConnection,
              DatagramFraming.MAX_DATAGRAM, count);
        }
        continue;
      }
      buf.flip();
      buf.put(0, (byte) (n >>> 8)).put(1, (byte) n);
      route(from).offer(buf);
    }
  }

  private Route route(SocketAddress from) {
    long now = System.nanoTime();
    if (now - lastSweep > RETRY_NANOS) {
      // refused routes of sources that went quiet: forget them, so the table holds at most the open
      // and connecting flows plus the sources refused within the last second
      lastSweep = now;
      routes.values().removeIf(x -> x.retryAt != 0 && now - x.retryAt > 0);
    }
    Route r = routes.get(from);
    if (r != null && r.retryAt != 0 && System.nanoTime() - r.retryAt > 0) {
      routes.remove(from, r);
      r = null;
    }
    if (r == null) {
      r = new Route((InetSocketAddress) from);
      routes.put(from, r);
      r.connect();
    }
    return r;
  }

  /** The datagrams of one source endpoint: connecting (queued), open (a flow), or refused for a while. */
  private final class Route {
    final InetSocketAddress source;
    final String id = tracker.nextId();
    private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
    private int pendingBytes;
    private UdpFlow flow; // guarded by this
    volatile long retryAt; // nanoTime after which a refused route is replaced; 0 while not refused

    Route(InetSocketAddress source) {
      this.source = source;
    }

    /** On the loop: one frame (header and payload) from this source. */
    void offer(ByteBuffer frame) {
      UdpFlow f;
      synchronized (this) {
        f = flow;
        if (f == null) {
          if (retryAt == 0 && pending.size() < PENDING_DATAGRAMS && pendingBytes + frame.remaining() <= PENDING_BYTES) {
            ByteBuffer copy = ByteBuffer.allocate(frame.remaining());
            copy.put(frame.duplicate()).flip();
            pending.add(copy);
            pendingBytes += copy.remaining();
          } else {
            counters.dropped();
          }
          return;
        }
      }
      f.sendFramed(frame);
    }

    void connect() {
      if (!tracker.tryReserve()) {
        String why = tracker.isClosing() ? "the forwarder is closing"
            : "the limit of " + options.maxConnections() + " concurrent flows is reached";
        refused(id + " " + ForwardLog.peer(source) + ": refused a UDP flow: " + why, null);
        return;
      }
      try {
        ForwardThreads.handshake(this::handshake);
      } catch (RuntimeException | OutOfMemoryError e) {
        tracker.release();
        refused(id + " " + ForwardLog.peer(source) + ": could not start a thread for a UDP flow", e);
      }
    }

    /** On a handshake thread: relay connect, preamble, reply; then the flow starts. */
    private void handshake() {
      String peer = ForwardLog.peer(source);
      String name = portName;
      boolean opened = false;
      try (ForwardTracker.Handshake handshake = tracker.handshake(null)) {
        RelayConnection relay;
        try {
          relay = connector.connect(options.relayConnectTimeout(),
              java.util.Map.of(dev.hybridrelay.forward.internal.PortRouting.PORT_PARAM, name), java.util.Map.of());
        } catch (RelayConnectException e) {
          refused(id + " " + peer + ": the relay refused the connection to hybrid connection '" + hybridConnection
              + "': " + e.getMessage(), e);
          return;
        } catch (IOException | RuntimeException e) {
          refused(id + " " + peer + ": could not connect to hybrid connection '" + hybridConnection
              + "' through the relay: " + e, e);
          return;
        }
        handshake.relay(relay);
        if (!(relay instanceof ConnectionImpl) || ((ConnectionImpl) relay).ioLoop() == null) {
          relay.abort();
          refused(id + " " + peer + ": UDP forwarding needs this library's relay connections", null);
          return;
        }
        Preamble.ReplyKind reply;
        try {
          relay.setReadTimeout(options.handshakeTimeout());
          Preamble.writeRequest(relay.getOutputStream(), Preamble.MODE_DATAGRAM, name);
          reply = Preamble.readReply(relay.getInputStream(), Preamble.MODE_DATAGRAM);
          relay.setReadTimeout(Duration.ZERO);
        } catch (SocketTimeoutException e) {
          relay.abort();
          refused(id + " " + peer + ": the remote forwarder on hybrid connection '" + hybridConnection
              + "' did not answer the preamble for port name '" + name + "' within "
              + options.handshakeTimeout().toSeconds() + " s — is it an azbridge-compatible forwarder?", e);
          return;
        } catch (IOException e) {
          relay.abort();
          refused(id + " " + peer + ": the remote forwarder on hybrid connection '" + hybridConnection
              + "' failed the UDP flow for port name '" + name + "' before accepting it: " + e.getMessage(), e);
          return;
        }
        if (reply != Preamble.ReplyKind.OK) {
          if (reply == Preamble.ReplyKind.CLOSED_WITHOUT_REPLY) {
            try {
              relay.close();
            } catch (IOException | RuntimeException e) {
              relay.abort();
            }
          } else {
            relay.abort();
          }
          refused(id + " " + peer + ": " + describe(reply, name), null);
          return;
        }
        if (handshake.isAborted() || closed) {
          relay.abort();
          return;
        }
        ConnectionImpl conn = (ConnectionImpl) relay;
        UdpFlow f = new UdpFlow(id, hybridConnection, name, source, conn, tracker, counters, this::sendToSource,
            () -> routes.remove(source, this));
        tracker.flowOpened(f);
        opened = true;
        handshake.finished();
        f.start();
        synchronized (this) {
          for (ByteBuffer b : pending) {
            f.sendFramed(b);
          }
          pending.clear();
          pendingBytes = 0;
          flow = f;
        }
        log.debug("{} opened: UDP {} -> hybrid connection '{}' port name '{}' (tracking id {})", id, peer,
            hybridConnection, name, relay.trackingId());
      } finally {
        if (!opened) {
          tracker.release();
        }
      }
    }

    /** On a flow's loop: a datagram from the relay, back to this route's source. */
    private boolean sendToSource(ByteBuffer datagram) {
      DatagramChannel ch = channel;
      try {
        return ch.send(datagram, source) > 0 || !datagram.hasRemaining();
      } catch (IOException e) {
        if (!closed) {
          log.debug("{}: sending a UDP datagram to {} failed: {}", id, ForwardLog.peer(source), e.toString());
        }
        return false;
      }
    }

    private void refused(String message, Throwable cause) {
      synchronized (this) {
        for (int i = 0; i < pending.size(); i++) {
          counters.dropped();
        }
        pending.clear();
        pendingBytes = 0;
        retryAt = (System.nanoTime() + RETRY_NANOS) | 1L;
      }
      if (closed) {
        routes.remove(source, this);
        return;
      }
      log.warn(message);
      tracker.refused(new ForwardFailure(hybridConnection, portName, ForwardLog.peer(source), message, cause));
    }
  }

  private String describe(Preamble.ReplyKind reply, String name) {
    switch (reply) {
      case CLOSED_WITHOUT_REPLY:
        return "the remote forwarder on hybrid connection '" + hybridConnection + "' refused port name '" + name
            + "' — check that its -T rule is a UDP rule with the same port name (for example -T " + hybridConnection
            + ":" + name + "/host:portU)";
      case UNSUPPORTED_VERSION:
        return "the remote forwarder on hybrid connection '" + hybridConnection
            + "' does not support preamble version 1.0 (reply 0,0,0)";
      case STREAM_REQUIRED:
        return "the remote forwarder on hybrid connection '" + hybridConnection + "' forwards port name '" + name
            + "' to a TCP target, not UDP (reply 0,0,255) — use a UDP rule (portU) on both sides";
      case DATAGRAM_REQUIRED:
        return "the remote forwarder on hybrid connection '" + hybridConnection
            + "' answered 0,0,1 to a datagram-mode preamble; is it an azbridge-compatible forwarder?";
      default:
        return "the remote forwarder on hybrid connection '" + hybridConnection
            + "' sent an unknown preamble reply; is it an azbridge-compatible forwarder?";
    }
  }

  /** The bound address; {@code null} before {@link #start()}. */
  public InetSocketAddress localAddress() {
    synchronized (lock) {
      try {
        return channel == null ? null : (InetSocketAddress) channel.getLocalAddress();
      } catch (IOException e) {
        return null;
      }
    }
  }

  /** The bound UDP port; -1 before {@link #start()}. */
  public int localPort() {
    InetSocketAddress a = localAddress();
    return a == null ? -1 : a.getPort();
  }

  /** The hybrid connection name. */
  public String hybridConnection() {
    return hybridConnection;
  }

  /**
   * The port name sent in the preamble: as configured, else the local port number followed by
   * {@code U} (azbridge's default for UDP; known after {@link #start()} when the port is 0).
   */
  public String portName() {
    String p = portName;
    return p != null ? p : configuredPortName != null ? configuredPortName
        : port == 0 ? null : UdpTarget.defaultPortName(port);
  }

  /** The options in force. */
  public ForwardOptions options() {
    return options;
  }

  /** A snapshot of the flow counters: flows count as connections, payload bytes as bytes. */
  public ForwardStats stats() {
    return tracker.stats();
  }

  /** A snapshot of the datagram counters. */
  public DatagramStats datagramStats() {
    return counters.snapshot();
  }

  /** The open flows, each a {@link ForwardedFlow}. */
  public List<ForwardedConnection> connections() {
    return tracker.connections();
  }

  /** Closes at once: see {@link #close(Duration)}. */
  @Override
  public void close() {
    close(options.closeTimeout());
  }

  /**
   * Stops receiving, aborts flows still connecting and closes the open ones cleanly (Close 1000).
   * UDP has nothing to drain, so {@code grace} only bounds the wait for their close events.
   * Idempotent.
   */
  public void close(Duration grace) {
    DatagramChannel ch;
    IoLoop l;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      ch = channel;
      l = loop;
    }
    if (ch != null) {
      key.cancel();
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      l.release();
    }
    tracker.closeAll(grace);
    routes.clear();
    log.debug("UDP local forwarder for hybrid connection '{}' closed", hybridConnection);
  }

  @Override
  public String toString() {
    InetSocketAddress a = localAddress();
    return "UdpLocalForwarder{udp " + (a == null ? bindAddress.getHostAddress() + ":" + port : ForwardLog.peer(a))
        + " -> '" + hybridConnection + "' port name '" + portName() + "'}";
  }

  /** Configures a {@link UdpLocalForwarder}. */
  public static final class Builder {
    private final RelayConnectionString connectionString;
    private RelaySender sender;
    private String hybridConnection;
    private InetAddress bindAddress;
    private int port;
    private String portName;
    private ForwardOptions options = ForwardOptions.defaults();
    private ForwardEvents events;
    private Consumer<RelaySender.Builder> senderCustomizer;

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

    /** The local address to receive on; default the loopback address. */
    public Builder bindAddress(InetAddress address) {
      this.bindAddress = address;
      return this;
    }

    /** The local UDP port, 0 for any free port (see {@link UdpLocalForwarder#localPort()}). Default 0. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("The port must be 0-65535, but was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The logical port name sent in the preamble; the remote forwarder maps it to its UDP target.
     * Default: the local port number followed by {@code U}, as azbridge ({@code -L 5353U:hc} sends
     * {@code "5353U"}).
     */
    public Builder portName(String portName) {
      Preamble.portNameBytes(portName);
      this.portName = portName;
      return this;
    }

    /** Limits and timeouts; {@link ForwardOptions#udpIdleTimeout()} ends idle flows. */
    public Builder options(ForwardOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Receives per-flow events; opened and closed flows are {@link ForwardedFlow}s. */
    public Builder events(ForwardEvents events) {
      this.events = events;
      return this;
    }

    /** Adjusts the {@link RelaySender} this forwarder builds (TLS, keep-alive, windows). */
    public Builder senderCustomizer(Consumer<RelaySender.Builder> customizer) {
      this.senderCustomizer = customizer;
      return this;
    }

    public UdpLocalForwarder build() {
      return new UdpLocalForwarder(this);
    }
  }
}
