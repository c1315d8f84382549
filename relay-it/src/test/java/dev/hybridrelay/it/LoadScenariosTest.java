package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.it.support.EchoListener;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.it.support.Scenarios;
import dev.hybridrelay.it.support.Transfers;
import dev.hybridrelay.testkit.Payloads;
import dev.hybridrelay.testkit.ResourceBaseline;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** L1, L2, L5, L6, L7: load held and nothing lost, sender → relay → listener over loopback. */
class LoadScenariosTest {

  // ------------------------------------------------------------------ L1

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void l1SequentialConnectionsCi() throws Exception {
    l1(1000, 4 << 20);
  }

  @Test
  @Tag("soak")
  @Timeout(value = 120, unit = TimeUnit.MINUTES)
  void l1SequentialConnectionsSoak() throws Exception {
    l1(10_000, 4 << 20);
  }

  private void l1(int connections, int maxPayload) throws Exception {
    long seed = Payloads.seed("L1");
    SplittableRandom r = new SplittableRandom(seed);
    ResourceBaseline base = ResourceBaseline.capture();
    long[] connectMs = new long[connections];
    long bytes = 0;
    int errors = 0;
    long t0 = System.nanoTime();
    try (RelayFixture relay = RelayFixture.start();
        EchoListener echo = EchoListener.open(relay.connectionString("l1"))) {
      RelaySender sender = RelaySender.builder(relay.connectionString("l1")).build();
      for (int i = 0; i < connections; i++) {
        long len = Payloads.logUniform(r, 0, maxPayload);
        long c0 = System.nanoTime();
        try (RelayConnection c = sender.connect(Duration.ofSeconds(10))) {
          connectMs[i] = (System.nanoTime() - c0) / 1_000_000;
          Transfers.Result res = Transfers.echo(c, seed + i, len, 60);
          if (!res.intact()) {
            errors++;
          }
          bytes += res.received().length();
        } catch (IOException e) {
          errors++;
          System.err.println("L1 connection " + i + " failed: " + e);
        }
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    long p50 = Scenarios.percentile(connectMs.clone(), 50);
    long p99 = Scenarios.percentile(connectMs.clone(), 99);
    String leak = "";
    try {
      base.assertBackToBaseline(5, Duration.ofSeconds(15));
    } catch (AssertionError e) {
      leak = e.getMessage();
    }
    String figures = "connections=" + connections + " errors=" + errors + " bytes_each_way="
        + bytes + " p50_connect_ms=" + p50 + " p99_connect_ms=" + p99 + " conn_per_s="
        + String.format("%.1f", connections / secs) + " seconds=" + String.format("%.1f", secs)
        + " resources_back=" + leak.isEmpty() + " seed=" + seed;
    boolean pass = errors == 0 && p99 < 250 && leak.isEmpty();
    Scenarios.record("L1", pass ? "PASS" : "FAIL", figures);
    assertThat(errors).isZero();
    assertThat(p99).isLessThan(250);
    assertThat(leak).isEmpty();
  }

  // ------------------------------------------------------------------ L2

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void l2ConcurrentFullDuplexCi() throws Exception {
    l2(50, 4 << 20);
  }

  @Test
  @Tag("soak")
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void l2ConcurrentFullDuplexSoak() throws Exception {
    l2(200, 16 << 20);
  }

  private void l2(int n, int size) throws Exception {
    long seed = Payloads.seed("L2");
    AtomicLong heapHigh = new AtomicLong();
    AtomicBoolean sampling = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (sampling.get()) {
        heapHigh.accumulateAndGet(ResourceBaseline.heapUsed(), Math::max);
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "test-heap-sampler");
    sampler.setDaemon(true);
    long heapBefore = ResourceBaseline.heapAfterGc();
    int bad = 0;
    long t0 = System.nanoTime();
    double secs;
    try (RelayFixture relay = RelayFixture.start();
        EchoListener echo = EchoListener.open(relay.connectionString("l2"))) {
      RelaySender sender = RelaySender.builder(relay.connectionString("l2")).build();
      sampler.start();
      ExecutorService pool = Executors.newFixedThreadPool(n);
      List<Future<Transfers.Result>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long s = seed + i;
        results.add(pool.submit(() -> {
          try (RelayConnection c = sender.connect(Duration.ofSeconds(30))) {
            return Transfers.echo(c, s, size, 120);
          }
        }));
      }
      for (Future<Transfers.Result> f : results) {
        try {
          if (!f.get(150, TimeUnit.SECONDS).intact()) {
            bad++;
          }
        } catch (Exception e) {
          bad++;
          System.err.println("L2 stream failed: " + e);
        }
      }
      secs = (System.nanoTime() - t0) / 1e9;
      pool.shutdownNow();
    } finally {
      sampling.set(false);
    }
    long highMiB = heapHigh.get() >> 20;
    String figures = "connections=" + n + " bytes_each_way_per_conn=" + size + " mismatches_or_errors="
        + bad + " seconds=" + String.format("%.1f", secs) + " MBps_each_way="
        + String.format("%.1f", (double) n * size / secs / 1e6) + " heap_high_MiB=" + highMiB
        + " heap_before_MiB=" + (heapBefore >> 20) + " seed=" + seed;
    boolean pass = bad == 0 && secs < 120 && highMiB < 512;
    Scenarios.record("L2", pass ? "PASS" : "FAIL", figures);
    assertThat(bad).isZero();
    assertThat(secs).isLessThan(120);
    assertThat(highMiB).isLessThan(512);
  }

  // ------------------------------------------------------------------ L5

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void l5HalfCloseBothDirectionsCi() throws Exception {
    l5(250);
  }

  @Test
  @Tag("soak")
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void l5HalfCloseBothDirectionsSoak() throws Exception {
    l5(1000);
  }

  /**
   * A writes N and shuts its output; B reads exactly N then EOF, writes M and closes; A reads M
   * then EOF. Both orientations (A = sender, A = listener), N and M random including 0.
   */
  private void l5(int iterationsPerDirection) throws Exception {
    long seed = Payloads.seed("L5");
    SplittableRandom r = new SplittableRandom(seed);
    int failures = 0;
    long bytes = 0;
    try (RelayFixture relay = RelayFixture.start();
        RelayListener listener = RelayListener.builder(relay.connectionString("l5")).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(relay.connectionString("l5")).build();
      for (int i = 0; i < 2 * iterationsPerDirection; i++) {
        boolean senderFirst = i % 2 == 0;
        long n = Payloads.logUniform(r, 0, 256 * 1024);
        long m = Payloads.logUniform(r, 0, 256 * 1024);
        long s = seed + i;
        CompletableFuture<RelayConnection> acc = CompletableFuture.supplyAsync(() -> {
          try {
            return listener.accept(Duration.ofSeconds(10));
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        try (RelayConnection sc = sender.connect(Duration.ofSeconds(10));
            RelayConnection lc = acc.get(10, TimeUnit.SECONDS)) {
          RelayConnection a = senderFirst ? sc : lc;
          RelayConnection b = senderFirst ? lc : sc;
          Payloads.Digest aSent = Payloads.write(a.getOutputStream(), s, n,
              Payloads.logUniform(1, 65536, s));
          a.shutdownOutput();
          Payloads.Digest bGot = Payloads.readExactlyThenEof(b.getInputStream(), n,
              Payloads.logUniform(1, 65536, s + 1));
          Payloads.Digest bSent = Payloads.write(b.getOutputStream(), s + 7, m,
              Payloads.logUniform(1, 65536, s + 2));
          b.close();
          Payloads.Digest aGot = Payloads.readExactlyThenEof(a.getInputStream(), m,
              Payloads.logUniform(1, 65536, s + 3));
          if (!aSent.equals(bGot) || !bSent.equals(aGot)) {
            failures++;
          }
          bytes += n + m;
        } catch (Exception e) {
          failures++;
          System.err.println("L5 iteration " + i + " (senderFirst=" + senderFirst + ", N=" + n
              + ", M=" + m + ") failed: " + e);
        }
      }
    }
    String figures = "iterations=" + 2 * iterationsPerDirection + " failures=" + failures
        + " bytes=" + bytes + " seed=" + seed;
    Scenarios.record("L5", failures == 0 ? "PASS" : "FAIL", figures);
    assertThat(failures).isZero();
  }

  // ------------------------------------------------------------------ L6

  @Test
  @Timeout(60)
  void l6CleanCloseVersusAbort() throws Exception {
    long seed = Payloads.seed("L6");
    try (RelayFixture relay = RelayFixture.start();
        RelayListener listener = RelayListener.builder(relay.connectionString("l6")).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(relay.connectionString("l6")).build();
      int n = 300_000;
      // clean: B writes n bytes and closes -> A reads n bytes then EOF
      String clean;
      try (RelayConnection a = sender.connect(Duration.ofSeconds(10));
          RelayConnection b = listener.accept(Duration.ofSeconds(10))) {
        Payloads.Digest sent = Payloads.write(b.getOutputStream(), seed, n, Payloads.fixed(8192));
        b.close();
        Payloads.Digest got = Payloads.readExactlyThenEof(a.getInputStream(), n,
            Payloads.fixed(4096));
        clean = got.equals(sent) ? "eof_after_last_byte" : "mismatch";
      }
      // abort both ways: B aborts mid-stream -> A gets IOException within 2 s, never EOF
      String[] abort = new String[2];
      long[] ms = new long[2];
      for (int dir = 0; dir < 2; dir++) {
        RelayConnection s = sender.connect(Duration.ofSeconds(10));
        RelayConnection l = listener.accept(Duration.ofSeconds(10));
        RelayConnection a = dir == 0 ? s : l;
        RelayConnection b = dir == 0 ? l : s;
        try {
          b.getOutputStream().write(new byte[10_000]);
          b.getOutputStream().flush();
          InputStream in = a.getInputStream();
          in.readNBytes(10_000);
          a.setReadTimeout(Duration.ofSeconds(5));
          long t = System.nanoTime();
          b.abort();
          try {
            int x = in.read();
            abort[dir] = x < 0 ? "EOF" : "data";
          } catch (java.net.SocketTimeoutException e) {
            abort[dir] = "timeout";
          } catch (IOException e) {
            abort[dir] = "IOException";
          }
          ms[dir] = (System.nanoTime() - t) / 1_000_000;
        } finally {
          a.abort();
          b.abort();
        }
      }
      boolean pass = clean.equals("eof_after_last_byte") && abort[0].equals("IOException")
          && abort[1].equals("IOException") && ms[0] < 2000 && ms[1] < 2000;
      Scenarios.record("L6", pass ? "PASS" : "FAIL", "clean=" + clean
          + " listener_abort_seen_by_sender=" + abort[0] + " detect_ms=" + ms[0]
          + " sender_abort_seen_by_listener=" + abort[1] + " detect_ms=" + ms[1]);
      assertThat(clean).isEqualTo("eof_after_last_byte");
      assertThat(abort).containsOnly("IOException");
      assertThat(ms[0]).isLessThan(2000);
      assertThat(ms[1]).isLessThan(2000);
    }
  }

  // ------------------------------------------------------------------ L7

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void l7BackpressureBoundsBuffering() throws Exception {
    long seed = Payloads.seed("L7");
    long total = 100L << 20;
    int window = 1 << 20;
    try (RelayFixture relay = RelayFixture.start();
        RelayListener listener = RelayListener.builder(relay.connectionString("l7"))
            .receiveWindow(window).sendWindow(window).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(relay.connectionString("l7"))
          .receiveWindow(window).sendWindow(window).build();
      long heapBefore = ResourceBaseline.heapAfterGc();
      try (RelayConnection a = sender.connect(Duration.ofSeconds(10));
          RelayConnection b = listener.accept(Duration.ofSeconds(10))) {
        AtomicLong written = new AtomicLong();
        CompletableFuture<Payloads.Digest> writer = CompletableFuture.supplyAsync(() -> {
          try {
            Payloads.Hasher h = Payloads.hasher();
            Payloads.Generator g = new Payloads.Generator(seed);
            byte[] buf = new byte[64 * 1024];
            long left = total;
            while (left > 0) {
              int k = (int) Math.min(buf.length, left);
              g.fill(buf, 0, k);
              a.getOutputStream().write(buf, 0, k);
              h.update(buf, 0, k);
              written.addAndGet(k);
              left -= k;
            }
            a.shutdownOutput();
            return h.finish();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        // slow phase: 10 KiB every 100 ms (100 KiB/s) for 5 s
        InputStream in = b.getInputStream();
        Payloads.Hasher got = Payloads.hasher();
        byte[] buf = new byte[10 * 1024];
        for (int i = 0; i < 50; i++) {
          int k = in.readNBytes(buf, 0, buf.length);
          got.update(buf, 0, k);
          Thread.sleep(100);
        }
        long writtenDuringSlow = written.get();
        long readDuringSlow = got.length();
        long inFlight = writtenDuringSlow - readDuringSlow;
        long heapGrowth = ResourceBaseline.heapAfterGc() - heapBefore;
        // fast phase: drain the rest
        byte[] big = new byte[256 * 1024];
        int k;
        while ((k = in.read(big)) >= 0) {
          got.update(big, 0, k);
        }
        Payloads.Digest sent = writer.get(120, TimeUnit.SECONDS);
        boolean intact = sent.equals(got.finish());
        boolean writerBlocked = writtenDuringSlow < total / 4;
        String figures = "total_MiB=" + (total >> 20) + " written_during_slow_MiB="
            + String.format("%.1f", writtenDuringSlow / 1048576.0) + " in_flight_MiB="
            + String.format("%.1f", inFlight / 1048576.0) + " window_MiB=" + (window >> 20)
            + " heap_growth_MiB=" + (heapGrowth >> 20) + " intact=" + intact;
        boolean pass = intact && writerBlocked && heapGrowth < 64L << 20;
        Scenarios.record("L7", pass ? "PASS" : "FAIL", figures);
        assertThat(intact).isTrue();
        assertThat(writerBlocked).as("writer blocked while the reader was slow").isTrue();
        assertThat(heapGrowth).isLessThan(64L << 20);
      }
    }
  }
}
