package dev.hybridrelay.server.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridrelay.server.RelayServerMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running relay: event loops, the hybrid connection registry, pending rendezvous and spliced
 * pairs. All protocol work happens on Netty I/O threads ({@code hybridrelay-server-io-*}); the
 * state shared between them is held in concurrent collections or guarded by the owning object.
 */
public final class RelayEngine {
  private static final Logger log = LoggerFactory.getLogger(RelayEngine.class);
  private static final AtomicInteger SERVER_IDS = new AtomicInteger();

  final RelaySettings settings;
  final RelayServerMetrics metrics;
  final HybridConnectionRegistry registry;
  final SasTokenValidator validator = new SasTokenValidator();
  final RelayErrors errors;
  final ObjectMapper json = new ObjectMapper();
  final SecureRandom random = new SecureRandom();
  final ConcurrentMap<String, Rendezvous> rendezvous = new ConcurrentHashMap<>();
  final Set<SplicePair> pairs = ConcurrentHashMap.newKeySet();
  /** HTTP request-mode exchanges by rendezvous secret, until the listener opens the address. */
  final ConcurrentMap<String, HttpExchange> httpRendezvous = new ConcurrentHashMap<>();
  /** HTTP requests in progress on the relay. */
  final AtomicInteger httpRequests = new AtomicInteger();
  final Set<Channel> channels = ConcurrentHashMap.newKeySet();
  final AtomicInteger connections = new AtomicInteger();
  final AtomicInteger pendingHandshakes = new AtomicInteger();
  /** Open connections per remote IP address; entries are removed when they drop to 0. */
  private final ConcurrentMap<java.net.InetAddress, Integer> perAddress = new ConcurrentHashMap<>();

  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicBoolean fatalReported = new AtomicBoolean();
  private final Object lifecycleLock = new Object();
  private EventLoopGroup bossGroup;
  private EventLoopGroup ioGroup;
  private Channel serverChannel;
  private int boundPort = -1;
  private volatile boolean terminated;

  public RelayEngine(RelaySettings settings) {
    this(settings, RelayServerMetrics.NONE);
  }

  public RelayEngine(RelaySettings settings, RelayServerMetrics metrics) {
    this.metrics = metrics;
    this.settings = settings;
    this.registry = new HybridConnectionRegistry(settings.hybridConnections(), settings.autoCreate());
    this.errors = new RelayErrors(settings.advertisedHost());
  }

  /** Binds the listening socket; returns when bound. */
  public void start() throws IOException {
    synchronized (lifecycleLock) {
      if (serverChannel != null || closing.get()) {
        throw new IllegalStateException("the local relay was already started");
      }
      int id = SERVER_IDS.incrementAndGet();
      bossGroup = new MultiThreadIoEventLoopGroup(
          1, new DefaultThreadFactory("hybridrelay-server-" + id + "-boss", true), settings.transport().ioHandlers());
      ioGroup = new MultiThreadIoEventLoopGroup(
          Math.max(2, Runtime.getRuntime().availableProcessors()),
          new DefaultThreadFactory("hybridrelay-server-" + id + "-io", true),
          settings.transport().ioHandlers());
      ServerBootstrap b = new ServerBootstrap()
          .group(bossGroup, ioGroup)
          .channel(settings.transport().serverChannel())
          .option(ChannelOption.SO_BACKLOG, 1024)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.SO_KEEPALIVE, true)
          // A peer's FIN is an event, not the end of the channel: a relayed leg that sent its Close
          // and then half-closed must still receive the other side's Close (ConnectionGuard ends every
          // other kind of connection at its FIN, as before).
          .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
          .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              initPipeline(ch);
            }
          });
      InetSocketAddress address = new InetSocketAddress(settings.bindAddress(), settings.port());
      ChannelFuture f = b.bind(address).awaitUninterruptibly();
      if (!f.isSuccess()) {
        shutdownGroups();
        terminated = true;
        Throwable cause = f.cause();
        String where = settings.bindAddress().getHostAddress() + ":" + settings.port();
        if (cause instanceof BindException) {
          throw new IOException("Cannot start the local relay on " + where
              + ": the address is already in use (choose another port, or port 0 for an ephemeral one)",
              cause);
        }
        throw new IOException("Cannot start the local relay on " + where + ": " + cause, cause);
      }
      serverChannel = f.channel();
      boundPort = ((InetSocketAddress) serverChannel.localAddress()).getPort();
      log.info("Local relay listening on {}://{}:{}/ (advertised as {}, {} transport){}",
          settings.tls() ? "wss" : "ws", settings.bindAddress().getHostAddress(), boundPort,
          settings.advertisedHost(), settings.transport().name(), settings.tls() ? ", TLS engine: " + settings.serverTls().engineName() : "");
    }
  }

  private void initPipeline(SocketChannel ch) {
    ChannelPipeline p = ch.pipeline();
    if (settings.frontend().proxyProtocol()) {
      p.addLast("proxy-protocol", new ProxyProtocolHandler(settings.frontend()));
    }
    if (settings.tls()) {
      p.addLast("tls", settings.serverTls().newHandler(ch.alloc()));
    }
    p.addLast("guard", new ConnectionGuard(this));
    p.addLast("http", new HttpServerCodec(new HttpDecoderConfig()
        .setMaxInitialLineLength(settings.maxHandshakeBytes())
        .setMaxHeaderSize(settings.maxHandshakeBytes())
        .setMaxChunkSize(8192)));
    p.addLast("handshake", new HandshakeHandler(this));
  }

  public int port() {
    if (boundPort < 0) {
      throw new IllegalStateException("the local relay is not started");
    }
    return boundPort;
  }

  boolean closing() {
    return closing.get();
  }

  public boolean isRunning() {
    return serverChannel != null && !closing.get();
  }

  /** Counts one more connection from {@code address}; returns the new count. */
  int addressAcquired(java.net.InetAddress address) {
    return perAddress.merge(address, 1, Integer::sum);
  }

  /** Counts one connection less from {@code address}. */
  void addressReleased(java.net.InetAddress address) {
    perAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
  }

  /** Open connections from {@code address} (for tests and diagnostics). */
  public int connectionsFrom(java.net.InetAddress address) {
    return perAddress.getOrDefault(canonical(address), 0);
  }

  /** The address connections are counted under: IPv4-mapped IPv6 addresses as IPv4. */
  static java.net.InetAddress canonical(java.net.InetAddress a) {
    if (a instanceof java.net.Inet6Address) {
      byte[] b = a.getAddress();
      boolean mapped = true;
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      if (mapped && b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
        try {
          return java.net.InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16));
        } catch (java.net.UnknownHostException e) {
          return a;
        }
      }
    }
    return a;
  }

  long nowEpochSeconds() {
    return System.currentTimeMillis() / 1000;
  }

  /** A new rendezvous secret: 256 random bits, Base64url without padding. */
  String newSecret() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  String scheme() {
    return settings.publicTls() ? "wss" : "ws";
  }

  String authority() {
    String h = settings.advertisedHost();
    if (h.indexOf(':') >= 0 && !h.startsWith("[")) {
      h = "[" + h + "]";
    }
    return h + ":" + (settings.frontend().port() > 0 ? settings.frontend().port() : boundPort);
  }

  // ---- failures --------------------------------------------------------------------------

  /** Central exception policy for every handler: Errors are fatal, the rest closes the channel. */
  void onException(Channel ch, Throwable cause) {
    Error error = findError(cause);
    if (error != null) {
      abort(ch);
      fatal(error);
      return;
    }
    if (cause instanceof IOException || cause.getCause() instanceof SSLException
        || cause instanceof SSLException) {
      log.debug("Connection {} failed: {}", ch.remoteAddress(), cause.toString());
    } else if (cause instanceof io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException) {
      // the peer broke the WebSocket protocol: its fault, no stack trace
      log.info("Connection {} closed: it broke the WebSocket protocol ({})", ch.remoteAddress(),
          RelayErrors.sanitize(String.valueOf(cause.getMessage())));
    } else {
      log.warn("Connection {} closed after an unexpected error", ch.remoteAddress(), cause);
    }
    abort(ch);
  }

  private static Error findError(Throwable t) {
    for (int i = 0; t != null && i < 8; i++, t = t.getCause()) {
      if (t instanceof Error e) {
        return e;
      }
    }
    return null;
  }

  void fatal(Error error) {
    if (!fatalReported.compareAndSet(false, true)) {
      return;
    }
    try {
      settings.fatalErrorHandler().accept(error);
    } catch (Throwable t) {
      log.error("The fatal error handler failed", t);
    }
  }

  /** Runs {@code task}, turning an Error into a fatal report (for scheduled tasks). */
  Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (Error e) {
        fatal(e);
      } catch (RuntimeException e) {
        log.warn("Relay task failed", e);
      }
    };
  }

  /** Drops the TCP connection without a close frame (RST). */
  static void abort(Channel ch) {
    if (ch.isOpen()) {
      try {
        ch.config().setOption(ChannelOption.SO_LINGER, 0);
      } catch (RuntimeException ignored) {
        // best effort
      }
      ch.close();
    }
  }

  /** Closes after everything written so far has been flushed (writes complete in order). */
  static void closeAfterFlush(Channel ch) {
    if (ch.isActive()) {
      ch.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
          .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    } else {
      ch.close();
    }
  }

  /**
   * Ends a connection after a relay-initiated Close frame: half-closes (FIN) once the frame is
   * flushed and keeps reading (and discarding) for up to a second before closing, so that data
   * the peer is still sending does not turn the close into a reset that destroys the Close frame.
   */
  static void closeAfterCloseFrame(Channel ch, io.netty.channel.ChannelFuture closeFrameWrite) {
    closeFrameWrite.addListener(f -> {
      if (ch instanceof io.netty.channel.socket.SocketChannel sc && sc.isActive() && f.isSuccess()) {
        sc.shutdownOutput().addListener(done -> sc.eventLoop().schedule(() -> {
          sc.close();
        }, 1, TimeUnit.SECONDS));
      } else {
        ch.close();
      }
    });
  }

  /** Host names a token audience may name: the advertised host, the bind address, the Host header. */
  java.util.Set<String> hostNames(String hostHeader) {
    java.util.Set<String> hosts = new java.util.LinkedHashSet<>();
    hosts.add(settings.advertisedHost());
    hosts.add(settings.bindAddress().getHostAddress());
    if (hostHeader != null && !hostHeader.isBlank()) {
      String h = hostHeader.trim();
      if (h.startsWith("[")) {
        int end = h.indexOf(']');
        h = end > 0 ? h.substring(1, end) : h;
      } else if (h.indexOf(':') >= 0 && h.indexOf(':') == h.lastIndexOf(':')) {
        h = h.substring(0, h.indexOf(':'));
      }
      hosts.add(h);
    }
    return hosts;
  }

  // ---- introspection and fault hooks ----------------------------------------------------

  public int listenerCount(String hc) {
    HybridConnection c = registry.find(hc);
    return c == null ? 0 : c.listenerCount();
  }

  /** Listeners with an open control channel, over every hybrid connection. */
  public int listenerCount() {
    return registry.listenerCount();
  }

  public int pendingRendezvousCount() {
    return rendezvous.size();
  }

  public int activeConnectionCount() {
    return pairs.size();
  }

  /** HTTP requests in progress (request mode). */
  public int activeHttpRequestCount() {
    return httpRequests.get();
  }

  public void dropControlChannels(int code, String reason) {
    for (HybridConnection hc : registry.all()) {
      for (ControlChannelHandler l : hc.listeners()) {
        l.closeWith(code, reason);
      }
    }
  }

  public void abortAll() {
    for (Channel ch : channels) {
      abort(ch);
    }
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /**
   * Graceful shutdown: stop accepting, close control channels with 1001, fail pending senders
   * with 503, let spliced pairs run until {@code grace}, then abort everything. Idempotent.
   */
  public void shutdown(Duration grace) {
    if (ioGroup != null && (inEventLoop(ioGroup) || inEventLoop(bossGroup))) {
      Thread t = new Thread(() -> shutdown(grace), "hybridrelay-server-shutdown");
      t.setDaemon(true);
      t.start();
      return;
    }
    if (!closing.compareAndSet(false, true)) {
      awaitTermination();
      return;
    }
    synchronized (lifecycleLock) {
      try {
        if (serverChannel == null) {
          terminated = true;
          return;
        }
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        log.info("Local relay on port {} shutting down (grace {} ms)", boundPort, grace.toMillis());
        dropControlChannels(1001, "The relay is shutting down");
        for (Rendezvous rv : new ArrayList<>(rendezvous.values())) {
          rv.failSender(this, 503, "The relay is shutting down.");
        }
        for (Channel ch : channels) {
          if (!ch.hasAttr(SplicePair.PAIR_KEY) && !ch.hasAttr(ControlChannelHandler.CONTROL_KEY)) {
            ch.close();
          }
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (!pairs.isEmpty() && System.nanoTime() < deadline) {
          sleep(10);
        }
        if (!pairs.isEmpty()) {
          log.info("Aborting {} relayed connection(s) still open after the grace period", pairs.size());
        }
        abortAll();
        long drain = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!channels.isEmpty() && System.nanoTime() < drain) {
          sleep(5);
        }
      } finally {
        shutdownGroups();
        terminated = true;
        lifecycleLock.notifyAll();
      }
    }
  }

  private void awaitTermination() {
    synchronized (lifecycleLock) {
      while (!terminated) {
        try {
          lifecycleLock.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private static boolean inEventLoop(EventLoopGroup group) {
    if (group == null) {
      return false;
    }
    for (var e : group) {
      if (e.inEventLoop()) {
        return true;
      }
    }
    return false;
  }

  private void shutdownGroups() {
    for (EventLoopGroup g : Arrays.asList(bossGroup, ioGroup)) {
      if (g != null) {
        g.shutdownGracefully(0, 2, TimeUnit.SECONDS);
      }
    }
    for (EventLoopGroup g : Arrays.asList(bossGroup, ioGroup)) {
      if (g != null) {
        g.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
