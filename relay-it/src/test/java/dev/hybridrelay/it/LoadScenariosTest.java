package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.it.support.ChildJvm;
import dev.hybridrelay.it.support.EchoListener;
import dev.hybridrelay.it.support.ForwarderMain;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.it.support.RelayServerMain;
import dev.hybridrelay.it.support.Scenarios;
import dev.hybridrelay.it.support.TcpEcho;
import dev.hybridrelay.it.support.Transfers;
import dev.hybridrelay.testkit.FaultProxy;
import dev.hybridrelay.testkit.Payloads;
import dev.hybridrelay.testkit.RawWebSocket;
import dev.hybridrelay.testkit.ResourceBaseline;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/**
 * L1–L8: load held and nothing lost, sender → relay → listener over loopback (L3 through the
 * forwarder chain with every party in its own JVM).
 */
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
      // an IOException (not the 5 s read timeout) already proves the abort was seen promptly;
      // the catalogue's 2 s figure decides PASS/FAIL in the record, not the build
      assertThat(abort).containsOnly("IOException");
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
        boolean writerDoneDuringSlow = writer.isDone();
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
        // blocked: still writing when the slow phase ended, with well under the total written (the
        // kernel's socket buffers on four loopback sockets hold 10-30 MiB of it on a busy host)
        boolean writerBlocked = !writerDoneDuringSlow && writtenDuringSlow < total / 2;
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

  // ------------------------------------------------------------------ L5 (interop)

  /**
   * A .NET-style {@code CloseOutputAsync} peer, emulated with raw frames: it sends N bytes, then
   * Close 1000 "Shutdown", and keeps reading. Our listener must read N bytes then EOF, still write
   * its M-byte reply, which the raw peer receives before the listener's Close 1000.
   */
  @Test
  @Timeout(120)
  void l5InteropCloseOutputPeer() throws Exception {
    long seed = Payloads.seed("L5-interop");
    SplittableRandom r = new SplittableRandom(seed);
    int iterations = 40;
    int failures = 0;
    long bytes = 0;
    int tcpClosed = 0;
    List<String> failed = new ArrayList<>();
    try (RelayFixture relay = RelayFixture.start();
        RelayListener listener = RelayListener.builder(relay.connectionString("l5x")).build()) {
      listener.open();
      for (int i = 0; i < iterations; i++) {
        int n = (int) (i < 2 ? 0 : Payloads.logUniform(r, 0, 256 * 1024));
        int m = (int) (i == 1 || i == 2 ? 0 : Payloads.logUniform(r, 0, 256 * 1024));
        long s = seed + i;
        CompletableFuture<RelayConnection> acc = CompletableFuture.supplyAsync(() -> {
          try {
            return listener.accept(Duration.ofSeconds(10));
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        try (RawWebSocket ws = RawWebSocket.connect("127.0.0.1", relay.port(),
            Duration.ofSeconds(5))) {
          URI u = relay.senderUri("l5x");
          int status = ws.handshake(u.getRawPath() + "?" + u.getRawQuery(), Map.of()).status();
          if (status != 101) {
            throw new IOException("sender handshake status " + status);
          }
          try (RelayConnection lc = acc.get(10, TimeUnit.SECONDS)) {
            byte[] data = Payloads.bytes(s, n);
            SplittableRandom fr = new SplittableRandom(s);
            for (int off = 0; off < n; ) {
              int k = (int) Math.min(n - off, Payloads.logUniform(fr, 1, 64 * 1024));
              ws.sendFrame(true, RawWebSocket.OP_BINARY, true,
                  java.util.Arrays.copyOfRange(data, off, off + k));
              off += k;
            }
            ws.sendClose(1000, "Shutdown");
            Payloads.Digest got = Payloads.readExactlyThenEof(lc.getInputStream(), n,
                Payloads.fixed(8192));
            Payloads.Digest reply = Payloads.write(lc.getOutputStream(), s + 7, m,
                Payloads.logUniform(1, 65536, s + 1));
            lc.close();
            Payloads.Hasher h = Payloads.hasher();
            int closeCode = -1;
            while (closeCode < 0) {
              RawWebSocket.Frame f = ws.readFrame(Duration.ofSeconds(10));
              if (f.opcode() == RawWebSocket.OP_BINARY || f.opcode() == RawWebSocket.OP_CONTINUATION) {
                h.update(f.payload(), 0, f.payload().length);
              } else if (f.opcode() == RawWebSocket.OP_CLOSE) {
                closeCode = f.closeCode();
              }
            }
            boolean closedTcp = ws.awaitTcpClose(Duration.ofSeconds(3));
            tcpClosed += closedTcp ? 1 : 0;
            boolean ok = got.equals(Payloads.digest(data)) && h.finish().equals(reply)
                && closeCode == 1000 && closedTcp;
            bytes += n + m;
            if (!ok) {
              failures++;
              failed.add(i + ":N=" + n + ",M=" + m + ",close=" + closeCode + ",tcp_closed="
                  + closedTcp);
            }
          }
        } catch (Exception e) {
          failures++;
          failed.add(i + ":N=" + n + ",M=" + m + ":" + e.getClass().getSimpleName());
          System.err.println("L5 interop iteration " + i + " failed: " + e);
        }
      }
    }
    String figures = "interop=raw_close_output_peer iterations=" + iterations + " failures="
        + failures + " bytes=" + bytes + " tcp_closed_after_close=" + tcpClosed + " seed=" + seed
        + (failed.isEmpty() ? "" : " failed=" + String.join(";", failed));
    Scenarios.record("L5", failures == 0 ? "PASS" : "FAIL", figures);
    assertThat(failures).as(failed.toString()).isZero();
  }

  // ------------------------------------------------------------------ L3

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void l3ForwarderChainCi() throws Exception {
    l3(256L << 20);
  }

  @Test
  @Tag("soak")
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void l3ForwarderChainSoak() throws Exception {
    l3(1L << 30);
  }

  /**
   * TCP client → LocalForwarder → relay → RemoteForwarder → TCP echo; relay and forwarders each in
   * a child JVM at -Xmx128m (exit on OOM). One stream, {@code size} bytes each way at once.
   */
  private void l3(long size) throws Exception {
    long seed = Payloads.seed("L3");
    String key = dev.hybridrelay.server.LocalRelayServer.Builder.randomKey();
    List<String> jvm = List.of("-Xmx128m", "-XX:+ExitOnOutOfMemoryError");
    try (TcpEcho echo = TcpEcho.start();
        ChildJvm relay = ChildJvm.start(RelayServerMain.class, "l3-relay.log", jvm, "0", key,
            "0")) {
      int port = Integer.parseInt(relay.awaitLine("RELAY PORT=", Duration.ofSeconds(30)));
      String cs = FaultScenariosTest.connectionString(port, key, "l3");
      try (ChildJvm remote = ChildJvm.start(ForwarderMain.class, "l3-remote.log", jvm, "remote",
          cs, "l3", "echo", "127.0.0.1", Integer.toString(echo.port()));
          ChildJvm local = ChildJvm.start(ForwarderMain.class, "l3-local.log", jvm, "local", cs,
              "l3", "echo")) {
        remote.awaitLine("FORWARDER ONLINE", Duration.ofSeconds(30));
        int lport = Integer.parseInt(local.awaitLine("FORWARDER PORT=", Duration.ofSeconds(30)));
        long t0 = System.nanoTime();
        Transfers.Result res;
        try (java.net.Socket s = new java.net.Socket()) {
          s.connect(new java.net.InetSocketAddress("127.0.0.1", lport), 5000);
          s.setSoTimeout(60_000);
          CompletableFuture<Payloads.Digest> w = CompletableFuture.supplyAsync(() -> {
            try {
              Payloads.Digest d = Payloads.write(s.getOutputStream(), seed, size,
                  Payloads.logUniform(1, 256 * 1024, seed ^ 1));
              s.shutdownOutput();
              return d;
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
          Payloads.Digest got = Payloads.read(s.getInputStream(),
              Payloads.logUniform(1, 256 * 1024, seed ^ 2));
          res = new Transfers.Result(w.get(60, TimeUnit.SECONDS), got);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        boolean alive = relay.process().isAlive() && remote.process().isAlive()
            && local.process().isAlive();
        long hwmRelay = relay.procStatusKb("VmHWM") >> 10;
        long hwmLocal = local.procStatusKb("VmHWM") >> 10;
        long hwmRemote = remote.procStatusKb("VmHWM") >> 10;
        boolean oom = false;
        for (String log : List.of("l3-relay.log", "l3-remote.log", "l3-local.log")) {
          java.nio.file.Path p = java.nio.file.Path.of("target", log);
          oom |= java.nio.file.Files.exists(p)
              && java.nio.file.Files.readString(p).contains("OutOfMemoryError");
        }
        String figures = "bytes_each_way=" + size + " intact=" + res.intact() + " seconds="
            + String.format("%.1f", secs) + " MBps_each_way="
            + String.format("%.1f", size / secs / 1e6) + " xmx_MiB=128 oom=" + oom
            + " children_alive=" + alive + " peak_rss_MiB_relay=" + hwmRelay
            + " peak_rss_MiB_local_fwd=" + hwmLocal + " peak_rss_MiB_remote_fwd=" + hwmRemote
            + " seed=" + seed;
        boolean pass = res.intact() && !oom && alive && res.received().length() == size;
        Scenarios.record("L3", pass ? "PASS" : "FAIL", figures);
        assertThat(res.intact()).as(figures).isTrue();
        assertThat(res.received().length()).isEqualTo(size);
        assertThat(oom).isFalse();
        assertThat(alive).isTrue();
      }
    }
  }

  // ------------------------------------------------------------------ L4

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void l4ChunkingFuzzCi() throws Exception {
    l4(100, 512 * 1024);
  }

  @Test
  @Tag("soak")
  @Timeout(value = 60, unit = TimeUnit.MINUTES)
  void l4ChunkingFuzzSoak() throws Exception {
    l4(1000, 1 << 20);
  }

  /**
   * Streams with random write sizes (1 B–256 KiB, log-uniform), random read sizes, and a FaultProxy
   * slicer (1–64 B writes, both directions) between sender and relay. A third of the streams use
   * the library API (RelaySender → echo listener), the others TCP through LocalForwarder →
   * relay → RemoteForwarder → TCP echo with Nagle on or off on the client and echo sockets.
   */
  private void l4(int streams, int maxLength) throws Exception {
    long seed = Payloads.seed("L4");
    SplittableRandom r = new SplittableRandom(seed);
    AtomicLong bytes = new AtomicLong();
    List<String> bad = new java.util.concurrent.CopyOnWriteArrayList<>();
    int[] modes = new int[3];
    long t0 = System.nanoTime();
    try (RelayFixture relay = RelayFixture.start();
        FaultProxy proxy = FaultProxy.to("127.0.0.1", relay.port());
        TcpEcho tcpEcho = TcpEcho.startRandomNagle(seed ^ 5);
        EchoListener apiEcho = EchoListener.open(relay.connectionString("l4api"))) {
      proxy.slicer(FaultProxy.Direction.BOTH, 1, 64, seed ^ 3);
      String viaProxy = FaultScenariosTest.connectionString(proxy.port(), relay.key, "l4");
      RemoteForwarder remote = RemoteForwarder.builder(relay.connectionString("l4"))
          .hybridConnection("l4").target("echo", "127.0.0.1", tcpEcho.port()).build();
      remote.start();
      try (LocalForwarder local = LocalForwarder.builder(viaProxy).hybridConnection("l4")
          .portName("echo").port(0).build()) {
        local.start();
        RelaySender sender = RelaySender.builder(
            FaultScenariosTest.connectionString(proxy.port(), relay.key, "l4api")).build();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
          int mode = i % 3;
          modes[mode]++;
          long len = Payloads.logUniform(r, 0, maxLength);
          long s = seed + 1000L * i;
          int idx = i;
          fs.add(pool.submit(() -> {
            try {
              Transfers.Result res = mode == 0
                  ? apiStream(sender, s, len)
                  : tcpStream(local.localPort(), mode == 1, s, len);
              bytes.addAndGet(res.received().length());
              if (!res.intact()) {
                bad.add(idx + ":mismatch:len=" + len + ":mode=" + mode);
              }
            } catch (Exception e) {
              bad.add(idx + ":" + e.getClass().getSimpleName() + ":len=" + len + ":mode=" + mode);
              System.err.println("L4 stream " + idx + " failed: " + e);
            }
          }));
        }
        for (Future<?> f : fs) {
          f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
      } finally {
        remote.close();
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    String figures = "streams=" + streams + " mismatches_or_errors=" + bad.size()
        + " api_streams=" + modes[0] + " tcp_nagle_on=" + modes[1] + " tcp_nagle_off="
        + modes[2] + " bytes_each_way=" + bytes.get() + " slicer=1-64B_both_ways"
        + " write_sizes=1B-256KiB read_sizes=1B-256KiB seconds=" + String.format("%.1f", secs)
        + " seed=" + seed + (bad.isEmpty() ? "" : " failed=" + String.join(";", bad));
    Scenarios.record("L4", bad.isEmpty() ? "PASS" : "FAIL", figures);
    assertThat(bad).isEmpty();
  }

  private static Transfers.Result apiStream(RelaySender sender, long s, long len)
      throws Exception {
    try (RelayConnection c = sender.connect(Duration.ofSeconds(30))) {
      return Transfers.echo(c, s, len, 120);
    }
  }

  private static Transfers.Result tcpStream(int port, boolean nagle, long s, long len)
      throws Exception {
    try (java.net.Socket sock = new java.net.Socket()) {
      sock.setTcpNoDelay(!nagle);
      sock.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
      sock.setSoTimeout(120_000);
      CompletableFuture<Payloads.Digest> w = CompletableFuture.supplyAsync(() -> {
        try {
          Payloads.Digest d = Payloads.write(sock.getOutputStream(), s, len,
              Payloads.logUniform(1, 256 * 1024, s ^ 1));
          sock.shutdownOutput();
          return d;
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      Payloads.Digest got = Payloads.read(sock.getInputStream(),
          Payloads.logUniform(1, 256 * 1024, s ^ 2));
      return new Transfers.Result(w.get(120, TimeUnit.SECONDS), got);
    }
  }

  // ------------------------------------------------------------------ L8

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void l8SoakSmoke() throws Exception {
    l8(Duration.ofSeconds(20), Duration.ofSeconds(6), Duration.ofSeconds(4), "smoke");
  }

  @Test
  @Tag("soak")
  @Timeout(value = 9, unit = TimeUnit.HOURS)
  void l8Soak() throws Exception {
    long minutes = Long.getLong("hybridrelay.soak.minutes", 30);
    l8(Duration.ofMinutes(minutes), Duration.ofMinutes(5), Duration.ofMinutes(2), "soak");
  }

  /**
   * 20 new echo connections per second plus 10 long-lived paced streams for {@code duration}; the
   * listener's tokens live {@code ttl} and are renewed over the control channel (the relay allows
   * no clock skew, so a refused or late renewal would drop the listener with 1008). RSS, threads
   * and FDs are compared between the end of {@code warmUp} and the end.
   */
  private void l8(Duration duration, Duration ttl, Duration warmUp, String size)
      throws Exception {
    long seed = Payloads.seed("L8");
    AtomicLong shortOk = new AtomicLong();
    AtomicLong shortBad = new AtomicLong();
    AtomicLong shortBytes = new AtomicLong();
    List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    FaultScenariosTest.Events ev = new FaultScenariosTest.Events();
    long[] warm = new long[3];
    long[] end = new long[3];
    int longBad = 0;
    long longBytes = 0;
    int minListeners = Integer.MAX_VALUE;
    try (RelayFixture relay = RelayFixture.start(b -> b.tokenClockSkew(Duration.ZERO));
        EchoListener echo = EchoListener.open(relay.connectionString("l8"), b -> b.events(ev)
            .tokenProvider(new dev.hybridrelay.core.SharedAccessSignatureTokenProvider(
                RelayFixture.RULE, relay.key))
            .tokenValidity(ttl))) {
      RelaySender sender = RelaySender.builder(relay.connectionString("l8")).build();
      long deadline = System.nanoTime() + duration.toNanos();
      long warmEnd = System.nanoTime() + warmUp.toNanos();
      // 10 long-lived streams: 32 KiB every 100 ms each way until the deadline
      ExecutorService longPool = Executors.newFixedThreadPool(20);
      List<Future<Transfers.Result>> longs = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        long s = seed + i;
        longs.add(longPool.submit(() -> Transfers.pacedEcho(sender, s, deadline, 32 * 1024, 100)));
      }
      // 20 new connections per second
      java.util.concurrent.ScheduledExecutorService tick =
          Executors.newSingleThreadScheduledExecutor();
      ExecutorService shortPool = Executors.newFixedThreadPool(8);
      AtomicLong n = new AtomicLong();
      SplittableRandom r = new SplittableRandom(seed);
      tick.scheduleAtFixedRate(() -> {
        long i = n.incrementAndGet();
        long len;
        synchronized (r) {
          len = Payloads.logUniform(r, 0, 64 * 1024);
        }
        shortPool.execute(() -> {
          try (RelayConnection c = sender.connect(Duration.ofSeconds(10))) {
            Transfers.Result res = Transfers.echo(c, seed ^ i, len, 30);
            (res.intact() ? shortOk : shortBad).incrementAndGet();
            shortBytes.addAndGet(res.received().length());
          } catch (Exception e) {
            shortBad.incrementAndGet();
            if (errors.size() < 5) {
              errors.add(e.getClass().getSimpleName());
            }
          }
        });
      }, 0, 50, TimeUnit.MILLISECONDS);
      boolean warmSampled = false;
      while (System.nanoTime() < deadline) {
        minListeners = Math.min(minListeners, relay.server().listenerCount("l8"));
        if (!warmSampled && System.nanoTime() > warmEnd) {
          warm = sample();
          warmSampled = true;
        }
        Thread.sleep(100);
      }
      tick.shutdown();
      tick.awaitTermination(5, TimeUnit.SECONDS);
      shortPool.shutdown();
      shortPool.awaitTermination(60, TimeUnit.SECONDS);
      for (Future<Transfers.Result> f : longs) {
        try {
          Transfers.Result res = f.get(60, TimeUnit.SECONDS);
          longBytes += res.received().length();
          longBad += res.intact() ? 0 : 1;
        } catch (Exception e) {
          longBad++;
          System.err.println("L8 long stream failed: " + e);
        }
      }
      longPool.shutdown();
      end = sample();
    }
    long connects = shortOk.get() + shortBad.get();
    double rssGrowth = warm[0] > 0 ? (end[0] - warm[0]) * 100.0 / warm[0] : 0;
    long reconnects = ev.connecting.get() - 1;
    long expectedRenewals = duration.toMillis() / (long) (ttl.toMillis() * 0.8);
    String figures = "size=" + size + " seconds=" + duration.toSeconds() + " token_ttl_s="
        + ttl.toSeconds() + " renewals_expected>=" + expectedRenewals + " new_connections="
        + connects + " conn_per_s=" + String.format("%.1f", connects / (double) duration.toSeconds())
        + " short_errors=" + shortBad.get() + " long_streams=10 long_stream_failures=" + longBad
        + " bytes_each_way=" + (shortBytes.get() + longBytes) + " listener_reconnects="
        + reconnects + " min_listener_count=" + minListeners + " rss_MiB_warm=" + (warm[0] >> 10)
        + " rss_MiB_end=" + (end[0] >> 10) + " rss_growth_pct=" + String.format("%.1f", rssGrowth)
        + " threads_warm=" + warm[1] + " threads_end=" + end[1] + " fds_warm=" + warm[2]
        + " fds_end=" + end[2] + " seed=" + seed
        + (errors.isEmpty() ? "" : " errors=" + String.join(",", errors));
    boolean pass = shortBad.get() == 0 && longBad == 0 && reconnects == 0 && minListeners == 1
        && rssGrowth < 10 && end[1] <= warm[1] + 10 && end[2] <= warm[2] + 10;
    Scenarios.record("L8", pass ? "PASS" : "FAIL", figures);
    assertThat(shortBad.get()).as(figures).isZero();
    assertThat(longBad).isZero();
    assertThat(reconnects).as("listener reconnects (a refused renewal drops it)").isZero();
    assertThat(minListeners).isEqualTo(1);
    assertThat(rssGrowth).isLessThan(10);
    assertThat(end[1]).isLessThanOrEqualTo(warm[1] + 10);
    assertThat(end[2]).isLessThanOrEqualTo(warm[2] + 10);
  }

  /** RSS (KiB), live threads, open FDs of this JVM. */
  private static long[] sample() {
    long rss = -1;
    try {
      for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (l.startsWith("VmRSS:")) {
          rss = Long.parseLong(l.substring(6).replace("kB", "").trim());
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return new long[] {rss, java.lang.management.ManagementFactory.getThreadMXBean()
        .getThreadCount(), ResourceBaseline.currentFdCount()};
  }

}
