package dev.hybridrelay.benchmarks.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load client for the end-to-end harness. Output is one {@code key=value} line per measure, so the
 * script can parse it.
 *
 * <pre>
 * java -cp benchmarks.jar dev.hybridrelay.benchmarks.e2e.ConnLoad connrate HOST PORT SECONDS CONCURRENCY
 *     new connections per second: connect, write 1 byte, read it back, close
 * java -cp benchmarks.jar dev.hybridrelay.benchmarks.e2e.ConnLoad rtt HOST PORT COUNT
 *     1-byte round trips on one connection (TCP_NODELAY): p50/p99 in microseconds
 * java -cp benchmarks.jar dev.hybridrelay.benchmarks.e2e.ConnLoad idle HOST PORT COUNT HOLD_SECONDS PARALLEL [MAX_SYSTEM_THREADS]
 *     opens COUNT connections (each proves itself with a 1-byte echo), prints IDLE_READY,
 *     holds them HOLD_SECONDS, checks a sample still echoes, closes them. With MAX_SYSTEM_THREADS,
 *     stops opening once the machine runs that many threads (fourth field of /proc/loadavg), so a
 *     thread-per-connection process under test cannot exhaust pid_max for everyone else.
 * </pre>
 */
public final class ConnLoad {
  private ConnLoad() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    InetSocketAddress target = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
    switch (mode) {
      case "connrate" -> connRate(target, Double.parseDouble(args[3]), Integer.parseInt(args[4]),
          args.length > 5 ? Double.parseDouble(args[5]) : 1.0);
      case "rtt" -> rtt(target, Integer.parseInt(args[3]));
      case "idle" -> idle(target, Integer.parseInt(args[3]), Integer.parseInt(args[4]),
          Integer.parseInt(args[5]), args.length > 6 ? Integer.parseInt(args[6]) : 0);
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
    System.exit(0);
  }

  /** Connect, 1-byte echo, close; returns the duration in nanoseconds. */
  static long oneShot(InetSocketAddress target) throws IOException {
    long t0 = System.nanoTime();
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      s.connect(target, 10_000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write(42);
      if (s.getInputStream().read() != 42) {
        throw new IOException("echo mismatch or EOF");
      }
    }
    return System.nanoTime() - t0;
  }

  /**
   * Connect, 1-byte echo, close, from {@code concurrency} threads for {@code seconds}, after the same
   * load for {@code warmSeconds} (not counted) so that the processes under test are JIT-compiled:
   * in a 4 s run from cold, the JIT compiler threads took more than half of the relay's and the
   * forwarders' CPU (async-profiler, 2 cores).
   */
  static void connRate(InetSocketAddress target, double seconds, int concurrency, double warmSeconds)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long warmEnd = System.nanoTime() + (long) (warmSeconds * 1e9);
    List<Future<?>> warm = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      warm.add(pool.submit(() -> {
        while (System.nanoTime() < warmEnd) {
          try {
            oneShot(target);
          } catch (IOException ignored) {
            // counted in the measured phase only
          }
        }
      }));
    }
    for (Future<?> f : warm) {
      f.get();
    }
    ConcurrentLinkedQueue<long[]> samples = new ConcurrentLinkedQueue<>();
    AtomicInteger errors = new AtomicInteger();
    AtomicLong ok = new AtomicLong();
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      fs.add(pool.submit(() -> {
        long[] mine = new long[1 << 16];
        int n = 0;
        while (System.nanoTime() < end) {
          try {
            long d = oneShot(target);
            if (n < mine.length) {
              mine[n++] = d;
            }
            ok.incrementAndGet();
          } catch (IOException e) {
            errors.incrementAndGet();
          }
        }
        samples.add(Arrays.copyOf(mine, n));
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    long[] all = samples.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    System.out.printf("conn_per_s=%.1f%n", ok.get() / elapsed);
    System.out.printf("conn_ok=%d%nconn_errors=%d%n", ok.get(), errors.get());
    System.out.printf("conn_p50_us=%.1f%nconn_p99_us=%.1f%n", pct(all, 50) / 1e3, pct(all, 99) / 1e3);
  }

  static void rtt(InetSocketAddress target, int count) throws IOException {
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      s.connect(target, 10_000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      int warm = Math.max(1000, count / 5);
      long[] t = new long[count];
      for (int i = 0; i < warm + count; i++) {
        long t0 = System.nanoTime();
        out.write(i & 0x7F);
        if (in.read() != (i & 0x7F)) {
          throw new IOException("echo mismatch at " + i);
        }
        if (i >= warm) {
          t[i - warm] = System.nanoTime() - t0;
        }
      }
      Arrays.sort(t);
      System.out.printf("rtt_p50_us=%.1f%nrtt_p99_us=%.1f%nrtt_count=%d%n", pct(t, 50) / 1e3,
          pct(t, 99) / 1e3, count);
    }
  }

  static void idle(InetSocketAddress target, int count, int holdSeconds, int parallel,
      int maxSystemThreads) throws Exception {
    java.util.concurrent.atomic.AtomicBoolean budgetHit = new java.util.concurrent.atomic.AtomicBoolean();
    Socket[] sockets = new Socket[count];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    long t0 = System.nanoTime();
    List<Future<?>> fs = new ArrayList<>();
    for (int p = 0; p < parallel; p++) {
      fs.add(pool.submit(() -> {
        int i;
        while ((i = next.getAndIncrement()) < count) {
          if (maxSystemThreads > 0 && (i % 50 == 0) && systemThreads() > maxSystemThreads) {
            budgetHit.set(true);
          }
          if (budgetHit.get()) {
            return;
          }
          Socket s = new Socket();
          try {
            s.setTcpNoDelay(true);
            s.connect(target, 30_000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(7);
            if (s.getInputStream().read() != 7) {
              throw new IOException("no echo");
            }
            sockets[i] = s;
          } catch (IOException e) {
            errors.incrementAndGet();
            try {
              s.close();
            } catch (IOException ignored) {
              // broken anyway
            }
          }
        }
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    int open = 0;
    for (Socket s : sockets) {
      if (s != null) {
        open++;
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf("idle_open=%d%nidle_errors=%d%nidle_open_seconds=%.1f%n", open, errors.get(),
        secs);
    System.out.printf("idle_thread_budget_hit=%s%nidle_system_threads=%d%n", budgetHit.get(),
        systemThreads());
    System.out.println("IDLE_READY");
    System.out.flush();
    TimeUnit.SECONDS.sleep(holdSeconds);
    // the connections must still be alive after the hold: probe up to 100 of them
    int probed = 0;
    int alive = 0;
    for (int i = 0; i < count && probed < 100; i += Math.max(1, count / 100)) {
      Socket s = sockets[i];
      if (s == null) {
        continue;
      }
      probed++;
      try {
        s.getOutputStream().write(9);
        if (s.getInputStream().read() == 9) {
          alive++;
        }
      } catch (IOException ignored) {
        // counted as dead
      }
    }
    System.out.printf("idle_probed=%d%nidle_alive=%d%n", probed, alive);
    for (Socket s : sockets) {
      if (s != null) {
        s.close();
      }
    }
  }

  /** Threads on the machine: the fourth field of /proc/loadavg is "running/total". */
  static int systemThreads() {
    try {
      String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
      return Integer.parseInt(f[3].substring(f[3].indexOf('/') + 1));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }
}
