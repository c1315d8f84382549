package dev.hybridrelay.testkit;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * An in-JVM, fault-injecting TCP proxy in the spirit of Toxiproxy.
 *
 * <p>The proxy listens on {@code 127.0.0.1} (ephemeral port by default) and forwards every accepted
 * connection to a fixed target. Faults ("toxics") can be switched on and off at runtime, separately
 * for each {@link Direction}:
 *
 * <ul>
 *   <li>{@link #latency latency} with jitter: every chunk is held back before it is forwarded (order
 *       is kept);
 *   <li>{@link #bandwidth bandwidth}: a cap in bytes per second, per connection and direction;
 *   <li>{@link #blackhole blackhole}: data is read and silently discarded; no FIN, no RST, the
 *       sockets stay open (a half-open path, as when a NAT entry vanishes);
 *   <li>{@link #resetAfter resetAfter}: forward exactly N more bytes, then reset both sockets (TCP
 *       RST via {@code SO_LINGER 0});
 *   <li>{@link #limitData limitData}: forward exactly N more bytes, then close both sockets normally
 *       (FIN);
 *   <li>{@link #slicer slicer}: re-fragment the stream into small writes of random size (seeded).
 * </ul>
 *
 * <p>Byte offsets of {@code resetAfter} and {@code limitData} count the bytes forwarded in that
 * direction by each connection since the later of (a) the connection being opened and (b) the
 * toxic being set. {@link #toxicity(double, long)} restricts the toxics to a seeded random share
 * of the connections accepted afterwards, e.g. one in ten.
 *
 * <p>Without toxics the proxy is transparent, including half-close: an EOF read on one side is
 * forwarded as a {@code shutdownOutput} (FIN) to the other side once the queued bytes have been
 * written; a reset or read error on one side is forwarded as a reset of the other side, so an abort
 * never turns into a clean EOF.
 *
 * <p>All threads are daemon threads named {@code faultproxy-<name>-…}. {@link #close()} resets
 * every connection and stops all threads.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.to("127.0.0.1", relayPort)) {
 *   // point the listener at proxy.port() instead of relayPort
 *   proxy.blackhole(FaultProxy.Direction.BOTH);      // half-open control channel
 *   ...
 *   proxy.clearToxics();
 * }
 * }</pre>
 */
public final class FaultProxy implements Closeable {

  /** Direction of traffic through the proxy. */
  public enum Direction {
    /** Client (the party that connected to the proxy) to target. */
    UPSTREAM,
    /** Target to client. */
    DOWNSTREAM,
    /** Both directions. */
    BOTH;

    boolean includes(Direction d) {
      return this == BOTH || this == d;
    }
  }

  private static final int CHUNK = 16 * 1024;
  private static final int QUEUE_CHUNKS = 64;
  private static final AtomicLong PROXY_IDS = new AtomicLong();

  private final String name;
  private final InetSocketAddress target;
  private final InetAddress bindAddress;
  private final Duration connectTimeout;
  private final AtomicReference<Toxics> upstream = new AtomicReference<>(Toxics.NONE);
  private final AtomicReference<Toxics> downstream = new AtomicReference<>(Toxics.NONE);
  private final AtomicLong generation = new AtomicLong();
  private final ConnectionMap connections = new ConnectionMap();
  private final AtomicLong connectionIds = new AtomicLong();
  private final AtomicLong totalAccepted = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object lifecycle = new Object();
  private volatile double toxicity = 1.0;
  private volatile Random toxicityRandom = new Random(0);
  private volatile ServerSocket server;
  private volatile Thread acceptor;
  private final int port;

  private static final class ConnectionMap extends ConcurrentHashMap<Long, ProxiedConnection> {
    private static final long serialVersionUID = 1L;
  }

  private FaultProxy(String name, InetSocketAddress target, InetAddress bindAddress, int port,
      Duration connectTimeout) throws IOException {
    this.name = name;
    this.target = target;
    this.bindAddress = bindAddress;
    this.connectTimeout = connectTimeout;
    this.server = bind(port);
    this.port = server.getLocalPort();
    startAcceptor();
  }

  /**
   * Starts a proxy on {@code 127.0.0.1:0} forwarding to {@code host:port}.
   *
   * @throws IOException if the proxy cannot bind
   */
  public static FaultProxy to(String host, int port) throws IOException {
    return builder(new InetSocketAddress(host, port)).start();
  }

  /** Starts a proxy on {@code 127.0.0.1:0} forwarding to {@code target}. */
  public static FaultProxy to(InetSocketAddress target) throws IOException {
    return builder(target).start();
  }

  /** Returns a builder for a proxy forwarding to {@code target}. */
  public static Builder builder(InetSocketAddress target) {
    return new Builder(target);
  }

  /** Builder for {@link FaultProxy}. */
  public static final class Builder {
    private final InetSocketAddress target;
    private String name;
    private int port;
    private InetAddress bind = InetAddress.getLoopbackAddress();
    private Duration connectTimeout = Duration.ofSeconds(5);

    private Builder(InetSocketAddress target) {
      this.target = Objects.requireNonNull(target, "target");
    }

    /** Name used in thread names and {@link #toString()}; default {@code p<n>}. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** Local port to listen on; default 0 (ephemeral). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Local address to bind; default the loopback address. */
    public Builder bindAddress(InetAddress address) {
      this.bind = address;
      return this;
    }

    /** Timeout for the connection to the target; default 5 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = timeout;
      return this;
    }

    /** Binds and starts the proxy. */
    public FaultProxy start() throws IOException {
      String n = name != null ? name : "p" + PROXY_IDS.incrementAndGet();
      return new FaultProxy(n, target, bind, port, connectTimeout);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Addresses and introspection

  /** The local port the proxy listens on. */
  public int port() {
    return port;
  }

  /** The local address the proxy listens on. */
  public InetSocketAddress address() {
    return new InetSocketAddress(bindAddress, port);
  }

  /** The target the proxy forwards to. */
  public InetSocketAddress target() {
    return target;
  }

  /** Number of proxied connections currently open (at least one side not yet closed). */
  public int connectionCount() {
    return connections.size();
  }

  /** Number of connections accepted since the proxy started. */
  public long totalConnections() {
    return totalAccepted.get();
  }

  /** A snapshot of the currently open proxied connections. */
  public List<ProxiedConnection> connections() {
    return new ArrayList<>(connections.values());
  }

  // ------------------------------------------------------------------------------------------
  // Toxics

  /** Holds every chunk for {@code latency ± jitter} (uniform) before forwarding it. */
  public FaultProxy latency(Direction direction, Duration latency, Duration jitter) {
    long l = latency.toNanos();
    long j = jitter == null ? 0 : jitter.toNanos();
    if (l < 0 || j < 0) {
      throw new IllegalArgumentException("latency and jitter must be >= 0");
    }
    return update(direction, t -> t.withLatency(l, j), false);
  }

  /** Caps throughput at {@code bytesPerSecond} per connection and direction; 0 removes the cap. */
  public FaultProxy bandwidth(Direction direction, long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("bytesPerSecond must be >= 0");
    }
    return update(direction, t -> t.withBandwidth(bytesPerSecond), false);
  }

  /** Discards all data in {@code direction} without closing anything (half-open path). */
  public FaultProxy blackhole(Direction direction) {
    return update(direction, t -> t.withBlackhole(true), false);
  }

  /** Forwards exactly {@code bytes} more bytes in {@code direction}, then resets (RST) both sides. */
  public FaultProxy resetAfter(Direction direction, long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must be >= 0");
    }
    return update(direction, t -> t.withEnd(bytes, true), true);
  }

  /** Forwards exactly {@code bytes} more bytes in {@code direction}, then closes both sides (FIN). */
  public FaultProxy limitData(Direction direction, long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must be >= 0");
    }
    return update(direction, t -> t.withEnd(bytes, false), true);
  }

  /**
   * Re-fragments the stream into writes of {@code minBytes..maxBytes} bytes (uniform, from a
   * generator seeded with {@code seed} per connection and direction), pausing {@code delay}
   * between slices. Both sockets use {@code TCP_NODELAY}, so slices leave as separate segments.
   */
  public FaultProxy slicer(Direction direction, int minBytes, int maxBytes, long seed,
      Duration delay) {
    if (minBytes < 1 || maxBytes < minBytes) {
      throw new IllegalArgumentException("need 1 <= minBytes <= maxBytes");
    }
    long d = delay == null ? 0 : delay.toNanos();
    return update(direction, t -> t.withSlicer(minBytes, maxBytes, seed, d), false);
  }

  /** {@link #slicer(Direction, int, int, long, Duration)} without a delay between slices. */
  public FaultProxy slicer(Direction direction, int minBytes, int maxBytes, long seed) {
    return slicer(direction, minBytes, maxBytes, seed, Duration.ZERO);
  }

  /**
   * Applies the toxics only to a random share {@code probability} (0..1) of the connections
   * accepted from now on, chosen by a generator seeded with {@code seed}. Default 1.0 (all).
   * Connections already open keep their selection.
   */
  public FaultProxy toxicity(double probability, long seed) {
    if (probability < 0 || probability > 1) {
      throw new IllegalArgumentException("probability must be in [0,1]");
    }
    this.toxicityRandom = new Random(seed);
    this.toxicity = probability;
    return this;
  }

  /** Removes every toxic in both directions and resets toxicity to 1.0. */
  public FaultProxy clearToxics() {
    upstream.set(Toxics.NONE);
    downstream.set(Toxics.NONE);
    toxicity = 1.0;
    wakeAll();
    return this;
  }

  /** Removes every toxic in {@code direction}. */
  public FaultProxy clearToxics(Direction direction) {
    if (direction.includes(Direction.UPSTREAM)) {
      upstream.set(Toxics.NONE);
    }
    if (direction.includes(Direction.DOWNSTREAM)) {
      downstream.set(Toxics.NONE);
    }
    wakeAll();
    return this;
  }

  private FaultProxy update(Direction direction, java.util.function.UnaryOperator<Toxics> op,
      boolean newGeneration) {
    long gen = newGeneration ? generation.incrementAndGet() : -1;
    if (direction.includes(Direction.UPSTREAM)) {
      upstream.updateAndGet(t -> gen >= 0 ? op.apply(t).withGeneration(gen) : op.apply(t));
    }
    if (direction.includes(Direction.DOWNSTREAM)) {
      downstream.updateAndGet(t -> gen >= 0 ? op.apply(t).withGeneration(gen) : op.apply(t));
    }
    wakeAll();
    return this;
  }

  private void wakeAll() {
    for (ProxiedConnection c : connections.values()) {
      c.up.wake();
      c.down.wake();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Whole-proxy operations

  /** Resets (RST) every open connection. New connections are still accepted. */
  public void resetAll() {
    for (ProxiedConnection c : connections.values()) {
      c.reset();
    }
  }

  /** Closes every open connection with a FIN on both sides. New connections are still accepted. */
  public void closeAll() {
    for (ProxiedConnection c : connections.values()) {
      c.closeGracefully();
    }
  }

  /**
   * Disables the proxy like a dead host: stops listening (new connects are refused) and resets
   * every open connection. {@link #enable()} listens again on the same port.
   */
  public void disable() {
    synchronized (lifecycle) {
      ServerSocket s = server;
      server = null;
      if (s != null) {
        closeQuietly(s);
      }
      Thread a = acceptor;
      if (a != null) {
        a.interrupt();
      }
    }
    resetAll();
  }

  /** Listens again on the same port after {@link #disable()}. */
  public void enable() throws IOException {
    synchronized (lifecycle) {
      if (closed.get()) {
        throw new IOException("proxy closed");
      }
      if (server == null) {
        server = bind(port);
        startAcceptor();
      }
    }
  }

  /** Whether the proxy currently accepts connections. */
  public boolean isEnabled() {
    return server != null;
  }

  /** Stops listening, resets every connection and waits briefly for the proxy threads to end. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Thread a = acceptor;
    disable();
    if (a != null) {
      joinQuietly(a, 2000);
    }
    for (ProxiedConnection c : connections.values()) {
      c.reset();
      c.join(2000);
    }
  }

  @Override
  public String toString() {
    return "FaultProxy[" + name + " 127.0.0.1:" + port + " -> " + target + ", open="
        + connections.size() + "]";
  }

  private ServerSocket bind(int p) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(bindAddress, p), 200);
    return s;
  }

  private void startAcceptor() {
    ServerSocket s = server;
    Thread t = new Thread(() -> acceptLoop(s), "faultproxy-" + name + "-accept");
    t.setDaemon(true);
    acceptor = t;
    t.start();
  }

  private void acceptLoop(ServerSocket s) {
    while (!s.isClosed()) {
      Socket client;
      try {
        client = s.accept();
      } catch (IOException e) {
        return;
      }
      totalAccepted.incrementAndGet();
      long id = connectionIds.incrementAndGet();
      boolean affected;
      double p = toxicity;
      if (p >= 1.0) {
        affected = true;
      } else {
        Random r = toxicityRandom;
        synchronized (r) {
          affected = r.nextDouble() < p;
        }
      }
      Thread t = new Thread(() -> open(id, client, affected), "faultproxy-" + name + "-c" + id
          + "-connect");
      t.setDaemon(true);
      t.start();
    }
  }

  private void open(long id, Socket client, boolean affected) {
    Socket upstreamSocket = new Socket();
    try {
      client.setTcpNoDelay(true);
      upstreamSocket.setTcpNoDelay(true);
      upstreamSocket.connect(target, (int) connectTimeout.toMillis());
    } catch (IOException e) {
      abortSocket(client);
      closeQuietly(upstreamSocket);
      return;
    }
    if (closed.get() || server == null) {
      abortSocket(client);
      abortSocket(upstreamSocket);
      return;
    }
    ProxiedConnection c = new ProxiedConnection(id, client, upstreamSocket, affected);
    connections.put(id, c);
    c.start();
  }

  // ------------------------------------------------------------------------------------------
  // Connections

  /** One proxied connection: a client socket and the socket to the target. */
  public final class ProxiedConnection {
    private final long id;
    private final Socket client;
    private final Socket targetSide;
    private final boolean affected;
    private final Pump up;
    private final Pump down;
    private final AtomicBoolean finished = new AtomicBoolean();

    private ProxiedConnection(long id, Socket client, Socket targetSide, boolean affected) {
      this.id = id;
      this.client = client;
      this.targetSide = targetSide;
      this.affected = affected;
      this.up = new Pump(this, "up", client, targetSide, upstream);
      this.down = new Pump(this, "down", targetSide, client, downstream);
    }

    private void start() {
      up.start();
      down.start();
    }

    /** Connection number (1-based, in accept order). */
    public long id() {
      return id;
    }

    /** Whether the toxics apply to this connection (see {@link FaultProxy#toxicity}). */
    public boolean affected() {
      return affected;
    }

    /** Bytes forwarded client → target so far. */
    public long bytesUpstream() {
      return up.forwarded.get();
    }

    /** Bytes forwarded target → client so far. */
    public long bytesDownstream() {
      return down.forwarded.get();
    }

    /** Whether the connection is still open. */
    public boolean isOpen() {
      return !finished.get();
    }

    /** Resets both sides with TCP RST. */
    public void reset() {
      if (finished.compareAndSet(false, true)) {
        abortSocket(client);
        abortSocket(targetSide);
        up.stop();
        down.stop();
        connections.remove(id);
      }
    }

    /** Closes both sides with FIN. */
    public void closeGracefully() {
      if (finished.compareAndSet(false, true)) {
        closeQuietly(client);
        closeQuietly(targetSide);
        up.stop();
        down.stop();
        connections.remove(id);
      }
    }

    private void maybeFinished() {
      if (up.done && down.done && finished.compareAndSet(false, true)) {
        closeQuietly(client);
        closeQuietly(targetSide);
        connections.remove(id);
      }
    }

    private void join(long millis) {
      up.join(millis);
      down.join(millis);
    }

    @Override
    public String toString() {
      return "conn#" + id + "[up=" + bytesUpstream() + " down=" + bytesDownstream()
          + (affected ? " toxic" : "") + (isOpen() ? "" : " closed") + "]";
    }
  }

  /** Chunk in flight: data, or an end marker (EOF or abort). */
  private static final class Chunk {
    static final int DATA = 0;
    static final int EOF = 1;
    static final int ABORT = 2;
    final int kind;
    final byte[] data;
    final int length;
    final long dueNanos;

    Chunk(int kind, byte[] data, int length, long dueNanos) {
      this.kind = kind;
      this.data = data;
      this.length = length;
      this.dueNanos = dueNanos;
    }
  }

  /** One direction: a reader thread and a writer thread joined by a bounded queue. */
  private final class Pump {
    private final ProxiedConnection conn;
    private final Socket from;
    private final Socket to;
    private final AtomicReference<Toxics> toxics;
    private final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
    private final AtomicLong forwarded = new AtomicLong();
    private final Thread reader;
    private final Thread writer;
    private final Random jitterRandom = new Random();
    private volatile boolean stopped;
    private volatile boolean done;
    private long lastDue;

    Pump(ProxiedConnection conn, String dir, Socket from, Socket to,
        AtomicReference<Toxics> toxics) {
      this.conn = conn;
      this.from = from;
      this.to = to;
      this.toxics = toxics;
      String base = "faultproxy-" + name + "-c" + conn.id + "-" + dir;
      this.reader = new Thread(this::readLoop, base + "-read");
      this.writer = new Thread(this::writeLoop, base + "-write");
      reader.setDaemon(true);
      writer.setDaemon(true);
    }

    void start() {
      reader.start();
      writer.start();
    }

    void stop() {
      stopped = true;
      reader.interrupt();
      writer.interrupt();
    }

    void wake() {
      LockSupport.unpark(writer);
    }

    void join(long millis) {
      joinQuietly(reader, millis);
      joinQuietly(writer, millis);
    }

    private Toxics active() {
      return conn.affected ? toxics.get() : Toxics.NONE;
    }

    private void readLoop() {
      try {
        InputStream in = from.getInputStream();
        while (!stopped) {
          byte[] buf = new byte[CHUNK];
          int n;
          try {
            n = in.read(buf);
          } catch (IOException e) {
            // a reset (or any read error) is forwarded at once as a reset, never as EOF
            if (!stopped) {
              conn.reset();
            }
            return;
          }
          if (n < 0) {
            put(new Chunk(Chunk.EOF, null, 0, due(active())));
            return;
          }
          if (n == 0) {
            continue;
          }
          Toxics t = active();
          if (t.blackhole) {
            continue; // swallowed: a black hole neither forwards nor closes
          }
          put(new Chunk(Chunk.DATA, buf, n, due(t)));
        }
      } catch (IOException | InterruptedException e) {
        // stopped
      }
    }

    private long due(Toxics t) {
      long now = System.nanoTime();
      long d = now;
      if (t.latencyNanos > 0 || t.jitterNanos > 0) {
        long j = t.jitterNanos > 0
            ? (long) ((jitterRandom.nextDouble() * 2 - 1) * t.jitterNanos) : 0;
        d = now + Math.max(0, t.latencyNanos + j);
      }
      if (d < lastDue) {
        d = lastDue; // never reorder
      }
      lastDue = d;
      return d;
    }

    private void put(Chunk c) throws InterruptedException {
      while (!stopped) {
        if (queue.offer(c, 100, TimeUnit.MILLISECONDS)) {
          return;
        }
      }
    }

    private void writeLoop() {
      long generationSeen = -1;
      long sinceGeneration = 0;
      long windowStart = System.nanoTime();
      long windowBytes = 0;
      long rateSeen = -1;
      Random sliceRandom = null;
      long sliceSeed = Long.MIN_VALUE;
      try {
        OutputStream out = to.getOutputStream();
        while (!stopped) {
          Chunk c = queue.poll(100, TimeUnit.MILLISECONDS);
          if (c == null) {
            continue;
          }
          // latency: wait until due (re-read toxics so clearing them releases held data)
          while (!stopped) {
            long wait = c.dueNanos - System.nanoTime();
            Toxics t = active();
            if (wait <= 0 || (t.latencyNanos == 0 && t.jitterNanos == 0)) {
              break;
            }
            LockSupport.parkNanos(this, Math.min(wait, 50_000_000L));
          }
          if (stopped) {
            return;
          }
          if (c.kind == Chunk.ABORT) {
            conn.reset();
            return;
          }
          if (c.kind == Chunk.EOF) {
            try {
              to.shutdownOutput();
            } catch (IOException e) {
              // peer already gone
            }
            done = true;
            conn.maybeFinished();
            return;
          }
          int off = 0;
          int len = c.length;
          while (len > 0 && !stopped) {
            Toxics t = active();
            if (t.blackhole) {
              break; // discard what was queued before the black hole started
            }
            if (t.generation != generationSeen) {
              generationSeen = t.generation;
              sinceGeneration = 0;
            }
            int n = len;
            if (t.endAfter >= 0) {
              long left = t.endAfter - sinceGeneration;
              if (left <= 0) {
                end(t.endWithReset);
                return;
              }
              n = (int) Math.min(n, left);
            }
            if (t.sliceMax > 0) {
              if (sliceRandom == null || sliceSeed != t.sliceSeed) {
                sliceSeed = t.sliceSeed;
                sliceRandom = new Random(t.sliceSeed ^ (conn.id * 0x9E3779B97F4A7C15L)
                    ^ (this == conn.up ? 0 : 0x5DEECE66DL));
              }
              int s = t.sliceMin + sliceRandom.nextInt(t.sliceMax - t.sliceMin + 1);
              n = Math.min(n, s);
            }
            if (t.bytesPerSecond > 0) {
              if (rateSeen != t.bytesPerSecond) {
                rateSeen = t.bytesPerSecond;
                windowStart = System.nanoTime();
                windowBytes = 0;
              }
              // at most ~1/20 s worth per write, then wait until the average is within the cap
              n = (int) Math.min(n, Math.max(1, t.bytesPerSecond / 20));
              long now = System.nanoTime();
              long earned = windowStart + (long) (windowBytes * 1e9 / t.bytesPerSecond);
              if (now - earned > 100_000_000L) {
                windowStart = now; // idle: don't let unused allowance turn into a burst
                windowBytes = 0;
              }
              long allowedAt = windowStart + (long) ((windowBytes + n) * 1e9 / t.bytesPerSecond);
              long wait = allowedAt - now;
              if (wait > 0) {
                LockSupport.parkNanos(this, wait);
                continue; // re-check toxics after the pause
              }
            } else {
              rateSeen = -1;
            }
            try {
              out.write(c.data, off, n);
              out.flush();
            } catch (IOException e) {
              conn.reset();
              return;
            }
            off += n;
            len -= n;
            sinceGeneration += n;
            windowBytes += n;
            forwarded.addAndGet(n);
            if (t.endAfter >= 0 && sinceGeneration >= t.endAfter) {
              end(t.endWithReset);
              return;
            }
            if (t.sliceDelayNanos > 0 && len > 0) {
              LockSupport.parkNanos(this, t.sliceDelayNanos);
            }
          }
        }
      } catch (IOException | InterruptedException e) {
        // stopped
      }
    }

    private void end(boolean reset) {
      if (reset) {
        conn.reset();
      } else {
        conn.closeGracefully();
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Toxic settings (immutable)

  private static final class Toxics {
    static final Toxics NONE = new Toxics(0, 0, 0, false, -1, false, 0, 0, 0, 0, 0);
    final long latencyNanos;
    final long jitterNanos;
    final long bytesPerSecond;
    final boolean blackhole;
    final long endAfter;
    final boolean endWithReset;
    final int sliceMin;
    final int sliceMax;
    final long sliceSeed;
    final long sliceDelayNanos;
    final long generation;

    Toxics(long latencyNanos, long jitterNanos, long bytesPerSecond, boolean blackhole,
        long endAfter, boolean endWithReset, int sliceMin, int sliceMax, long sliceSeed,
        long sliceDelayNanos, long generation) {
      this.latencyNanos = latencyNanos;
      this.jitterNanos = jitterNanos;
      this.bytesPerSecond = bytesPerSecond;
      this.blackhole = blackhole;
      this.endAfter = endAfter;
      this.endWithReset = endWithReset;
      this.sliceMin = sliceMin;
      this.sliceMax = sliceMax;
      this.sliceSeed = sliceSeed;
      this.sliceDelayNanos = sliceDelayNanos;
      this.generation = generation;
    }

    Toxics withLatency(long l, long j) {
      return new Toxics(l, j, bytesPerSecond, blackhole, endAfter, endWithReset, sliceMin,
          sliceMax, sliceSeed, sliceDelayNanos, generation);
    }

    Toxics withBandwidth(long b) {
      return new Toxics(latencyNanos, jitterNanos, b, blackhole, endAfter, endWithReset, sliceMin,
          sliceMax, sliceSeed, sliceDelayNanos, generation);
    }

    Toxics withBlackhole(boolean b) {
      return new Toxics(latencyNanos, jitterNanos, bytesPerSecond, b, endAfter, endWithReset,
          sliceMin, sliceMax, sliceSeed, sliceDelayNanos, generation);
    }

    Toxics withEnd(long after, boolean reset) {
      return new Toxics(latencyNanos, jitterNanos, bytesPerSecond, blackhole, after, reset,
          sliceMin, sliceMax, sliceSeed, sliceDelayNanos, generation);
    }

    Toxics withSlicer(int min, int max, long seed, long delay) {
      return new Toxics(latencyNanos, jitterNanos, bytesPerSecond, blackhole, endAfter,
          endWithReset, min, max, seed, delay, generation);
    }

    Toxics withGeneration(long g) {
      return new Toxics(latencyNanos, jitterNanos, bytesPerSecond, blackhole, endAfter,
          endWithReset, sliceMin, sliceMax, sliceSeed, sliceDelayNanos, g);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Socket helpers

  /** Closes {@code s} with {@code SO_LINGER 0}, which makes the kernel send a TCP RST. */
  public static void abortSocket(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (SocketException e) {
      // already closed
    }
    closeQuietly(s);
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // ignore
    }
  }

  private static void joinQuietly(Thread t, long millis) {
    if (t == Thread.currentThread()) {
      return;
    }
    try {
      t.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
