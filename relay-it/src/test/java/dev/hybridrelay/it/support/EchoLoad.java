package dev.hybridrelay.it.support;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An echo load with end-to-end checks, for the kill scenarios. Each connection sends a header
 * (connection id, payload length, SHA-256 of the payload), then the payload ({@code ha.payload}
 * KiB, default 16-64) in 4 KiB chunks with
 * short pauses, reading each chunk's echo before the next; then it half-closes and expects the end.
 * The {@link Backend} echoes the payload after the header and notes which backend served which
 * connection and how its stream ended, so that a stream cut silently on the service side (a clean
 * end before the announced length) is seen too.
 */
public final class EchoLoad implements AutoCloseable {
  /** How a client connection ended. */
  public enum Outcome {
    /** Every byte came back, correct, then a clean end. */
    OK,
    /** An error (reset, broken pipe, refused): a loud failure. */
    ERROR,
    /** A clean end of stream before every byte came back (what a proxy makes of a reset). */
    SHORT_EOF,
    /** Wrong bytes, or more bytes than sent, or a wrong SHA-256: never allowed. */
    CORRUPT,
    /** No progress for the read timeout. */
    TIMEOUT
  }

  /**
   * One client connection: its id, its local port ({@code -1}: no socket bound) and its start as
   * wall-clock milliseconds (to find it in a proxy's log), start and end on {@link System#nanoTime}.
   */
  public record Conn(long id, int localPort, long startMillis, long startNanos, long endNanos, Outcome outcome,
      String detail) {}

  /** How a backend saw a connection end. */
  public enum BackendEnd { COMPLETE, RESET, SILENT_TRUNCATION }

  /** A backend's view of one connection. */
  public record BackendConn(long id, String backend, BackendEnd end) {}

  private final int port;
  private final int rate;
  private final long seed;
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "ha-load-tick"));
  private final ExecutorService workers = Executors.newCachedThreadPool(r -> daemon(r, "ha-load-conn"));
  /** Connections open at once at most ({@code ha.concurrency}, default 800): the machine's guard. */
  private final int maxOpen = Integer.getInteger("ha.concurrency", 800);
  private final Semaphore concurrency = new Semaphore(maxOpen);
  private final List<Conn> done = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLong inFlight = new AtomicLong();
  /** Payload sizes in KiB ({@code ha.payload=MIN-MAX}, default 16-64), one size drawn per connection. */
  private final int payloadMin;
  private final int payloadMax;

  private EchoLoad(int port, int rate, long seed) {
    this.port = port;
    this.rate = rate;
    this.seed = seed;
    String range = System.getProperty("ha.payload", "16-64");
    String[] mm = range.split("-", 2);
    try {
      payloadMin = Integer.parseInt(mm[0].trim()) * 1024;
      payloadMax = Integer.parseInt(mm[mm.length - 1].trim()) * 1024;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ha.payload must be MIN-MAX in KiB (like 16-64), got '" + range + "'");
    }
    if (payloadMin < 1 || payloadMax < payloadMin) {
      throw new IllegalArgumentException("ha.payload must be MIN-MAX in KiB with 1 <= MIN <= MAX, got '" + range + "'");
    }
  }

  /** The payload size range of this load, as {@code MIN-MAX} KiB. */
  public String payloadRange() {
    return payloadMin / 1024 + "-" + payloadMax / 1024 + "KiB";
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Starts {@code rate} connections a second to 127.0.0.1:{@code port}, ids from 1. */
  public static EchoLoad start(int port, int rate, long seed) {
    return start(port, rate, seed, 0);
  }

  /**
   * Starts {@code rate} connections a second to 127.0.0.1:{@code port}, ids from {@code idBase + 1}
   * (a second load on the same backends, such as a warm-up, keeps its ids apart).
   */
  public static EchoLoad start(int port, int rate, long seed, long idBase) {
    EchoLoad l = new EchoLoad(port, rate, seed);
    l.ids.set(idBase);
    long periodMicros = 1_000_000L / rate;
    l.ticker.scheduleAtFixedRate(l::launch, 0, periodMicros, TimeUnit.MICROSECONDS);
    return l;
  }

  private void launch() {
    if (!concurrency.tryAcquire()) {
      skipped.incrementAndGet();
      return;
    }
    long id = ids.incrementAndGet();
    inFlight.incrementAndGet();
    try {
      workers.execute(() -> {
        try {
          done.add(run(id));
        } finally {
          inFlight.decrementAndGet();
          concurrency.release();
        }
      });
    } catch (RuntimeException e) {
      inFlight.decrementAndGet();
      concurrency.release();
    }
  }

  /** This connection's payload: {@code ha.payload} KiB (16–64) of its own pseudo-random bytes (eight per draw). */
  private byte[] payload(long id) {
    SplittableRandom r = new SplittableRandom(seed ^ (id * 0x9E3779B97F4A7C15L));
    byte[] payload = new byte[payloadMin + r.nextInt(payloadMax - payloadMin + 1)];
    for (int i = 0; i < payload.length; i += 8) {
      long v = r.nextLong();
      for (int j = i; j < Math.min(i + 8, payload.length); j++, v >>>= 8) {
        payload[j] = (byte) v;
      }
    }
    return payload;
  }

  private Conn run(long id) {
    long startMillis = System.currentTimeMillis();
    long start = System.nanoTime();
    byte[] payload = payload(id);
    byte[] sha = sha256(payload);
    int localPort = -1;
    Outcome outcome = null;
    String detail = "";
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(30_000);
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 30_000);
      localPort = s.getLocalPort();
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      InputStream in = s.getInputStream();
      out.writeLong(id);
      out.writeInt(payload.length);
      out.write(sha);
      MessageDigest got = MessageDigest.getInstance("SHA-256");
      byte[] back = new byte[4096];
      for (int off = 0; off < payload.length && outcome == null; off += 4096) {
        int len = Math.min(4096, payload.length - off);
        out.write(payload, off, len);
        out.flush();
        int read = 0;
        while (read < len) {
          int n = in.read(back, read, len - read);
          if (n < 0) {
            outcome = Outcome.SHORT_EOF;
            detail = "end after " + (off + read) + " of " + payload.length + " bytes";
            break;
          }
          read += n;
        }
        if (outcome == null) {
          if (!Arrays.equals(back, 0, len, payload, off, off + len)) {
            outcome = Outcome.CORRUPT;
            detail = "wrong bytes at " + off;
          }
          got.update(back, 0, len);
          Thread.sleep(10);
        }
      }
      if (outcome == null) {
        s.shutdownOutput();
        int extra = in.read();
        if (extra >= 0) {
          outcome = Outcome.CORRUPT;
          detail = "bytes after the echo";
        } else if (!MessageDigest.isEqual(got.digest(), sha)) {
          outcome = Outcome.CORRUPT;
          detail = "SHA-256 differs";
        } else {
          outcome = Outcome.OK;
        }
      }
    } catch (SocketTimeoutException e) {
      outcome = Outcome.TIMEOUT;
      detail = e.toString();
    } catch (IOException e) {
      outcome = Outcome.ERROR;
      detail = e.toString();
    } catch (Exception e) {
      outcome = Outcome.ERROR;
      detail = e.toString();
    } finally {
      try {
        if (outcome != Outcome.OK) {
          s.setSoLinger(true, 0); // a client that gives up resets, so the service side sees an abort
        }
        s.close();
      } catch (IOException ignored) {
        // closed
      }
    }
    return new Conn(id, localPort, startMillis, start, System.nanoTime(), outcome, detail);
  }

  static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops starting connections; waits up to {@code seconds} for the running ones. */
  public List<Conn> stop(int seconds) throws InterruptedException {
    ticker.shutdownNow();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    workers.shutdownNow();
    synchronized (done) {
      return List.copyOf(done);
    }
  }

  /** Connections finished so far. */
  public List<Conn> finished() {
    synchronized (done) {
      return List.copyOf(done);
    }
  }

  /** Connections not started because {@code ha.concurrency} were open already (the machine could not keep up). */
  public long skipped() {
    return skipped.get();
  }

  public int rate() {
    return rate;
  }

  @Override
  public void close() throws InterruptedException {
    ticker.shutdownNow();
    workers.shutdownNow();
  }

  /** An echo service behind the {@code -T} forwarders; records each connection's end. */
  public static final class Backend implements AutoCloseable {
    private final String name;
    private final ServerSocket server;
    private final Map<Long, BackendConn> seen;
    private final ExecutorService conns;

    public Backend(String name, Map<Long, BackendConn> seen) throws IOException {
      this.name = name;
      this.seen = seen;
      this.server = new ServerSocket(0, 1000, InetAddress.getLoopbackAddress());
      this.conns = Executors.newCachedThreadPool(r -> daemon(r, "ha-backend-" + name + "-conn"));
      daemon(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            conns.execute(() -> serve(s));
          } catch (IOException e) {
            return;
          }
        }
      }, "ha-backend-" + name).start();
    }

    /** A shared record of what every backend saw, by connection id. */
    public static Map<Long, BackendConn> record() {
      return new ConcurrentHashMap<>();
    }

    public int port() {
      return server.getLocalPort();
    }

    private void serve(Socket s) {
      long id = -1;
      try (s) {
        s.setTcpNoDelay(true);
        s.setSoTimeout(60_000);
        DataInputStream in = new DataInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        try {
          id = in.readLong();
        } catch (EOFException e) {
          return; // a health check or a tunnel opened without data
        }
        int length = in.readInt();
        byte[] sha = new byte[32];
        in.readFully(sha);
        seen.put(id, new BackendConn(id, name, null));
        byte[] b = new byte[8192];
        long total = 0;
        while (true) {
          int n = in.read(b);
          if (n < 0) {
            break;
          }
          total += n;
          out.write(b, 0, n);
          out.flush();
        }
        seen.put(id, new BackendConn(id, name, total == length ? BackendEnd.COMPLETE : BackendEnd.SILENT_TRUNCATION));
        s.shutdownOutput();
      } catch (IOException e) {
        if (id >= 0) {
          seen.put(id, new BackendConn(id, name, BackendEnd.RESET));
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      conns.shutdownNow();
    }
  }
}
