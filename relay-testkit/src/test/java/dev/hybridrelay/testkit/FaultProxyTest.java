package dev.hybridrelay.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridrelay.testkit.FaultProxy.Direction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FaultProxyTest {

  private EchoServer echo;
  private FaultProxy proxy;

  @BeforeEach
  void start() throws IOException {
    echo = new EchoServer();
    proxy = FaultProxy.builder(echo.address()).name("t").start();
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket("127.0.0.1", proxy.port());
    s.setSoTimeout(10_000);
    return s;
  }

  private static void waitFor(java.util.function.BooleanSupplier c, long millis)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!c.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("condition not met within " + millis + " ms");
      }
      Thread.sleep(10);
    }
  }

  /** Writes {@code len} seeded bytes, shuts output; returns the digest of everything read. */
  private static Payloads.Digest[] roundTrip(Socket s, long seed, int len) throws Exception {
    CompletableFuture<Payloads.Digest> written = CompletableFuture.supplyAsync(() -> {
      try {
        Payloads.Digest d = Payloads.write(s.getOutputStream(), seed, len,
            Payloads.logUniform(1, 65536, seed));
        s.shutdownOutput();
        return d;
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    Payloads.Digest read = Payloads.read(s.getInputStream(),
        Payloads.logUniform(1, 65536, seed + 1));
    return new Payloads.Digest[] {written.get(20, TimeUnit.SECONDS), read};
  }

  @Test
  void forwardsBytesExactlyAndPropagatesHalfClose() throws Exception {
    try (Socket s = connect()) {
      Payloads.Digest[] d = roundTrip(s, 42, 1 << 20);
      assertEquals(d[0], d[1]);
      assertEquals(1 << 20, d[1].length());
      assertEquals(1, proxy.totalConnections());
    }
    waitFor(() -> proxy.connectionCount() == 0, 5000);
  }

  @Test
  void zeroByteHalfCloseGivesEof() throws Exception {
    try (Socket s = connect()) {
      s.shutdownOutput();
      assertEquals(-1, s.getInputStream().read());
    }
  }

  @Test
  void latencyDelaysEachDirection() throws Exception {
    proxy.latency(Direction.BOTH, Duration.ofMillis(150), Duration.ZERO);
    try (Socket s = connect()) {
      long t0 = System.nanoTime();
      s.getOutputStream().write(1);
      assertEquals(1, s.getInputStream().read());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms >= 290, "round trip " + ms + " ms");
      proxy.clearToxics();
      t0 = System.nanoTime();
      s.getOutputStream().write(2);
      assertEquals(2, s.getInputStream().read());
      assertTrue((System.nanoTime() - t0) / 1_000_000 < 150);
    }
  }

  @Test
  void jitterKeepsOrder() throws Exception {
    proxy.latency(Direction.UPSTREAM, Duration.ofMillis(20), Duration.ofMillis(20));
    try (Socket s = connect()) {
      Payloads.Digest[] d = roundTrip(s, 7, 100_000);
      assertEquals(d[0], d[1]);
    }
  }

  @Test
  void bandwidthCapsThroughput() throws Exception {
    proxy.bandwidth(Direction.UPSTREAM, 100_000);
    try (Socket s = connect()) {
      long t0 = System.nanoTime();
      Payloads.Digest[] d = roundTrip(s, 3, 200_000);
      double secs = (System.nanoTime() - t0) / 1e9;
      assertEquals(d[0], d[1]);
      assertTrue(secs > 1.6 && secs < 3.5, "200 kB at 100 kB/s took " + secs + " s");
    }
  }

  @Test
  void blackholeSwallowsWithoutClosing() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(1);
      assertEquals(1, s.getInputStream().read());
      proxy.blackhole(Direction.BOTH);
      s.getOutputStream().write(new byte[1000]);
      s.setSoTimeout(500);
      assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
      assertEquals(1, proxy.connectionCount());
      proxy.clearToxics();
      s.setSoTimeout(5000);
      s.getOutputStream().write(9);
      assertEquals(9, s.getInputStream().read(), "swallowed bytes must not reappear");
    }
  }

  @Test
  void resetAfterSendsRstAfterExactOffset() throws Exception {
    proxy.resetAfter(Direction.DOWNSTREAM, 1000);
    try (Socket s = connect()) {
      s.getOutputStream().write(new byte[5000]);
      InputStream in = s.getInputStream();
      long got = 0;
      IOException error = null;
      try {
        byte[] b = new byte[100];
        int n;
        while ((n = in.read(b)) >= 0) {
          got += n;
        }
      } catch (IOException e) {
        error = e;
      }
      assertTrue(error != null, "expected a reset, got EOF after " + got);
      assertTrue(got <= 1000, "read " + got);
    }
    waitFor(() -> proxy.connectionCount() == 0, 5000);
  }

  @Test
  void limitDataClosesWithFinAfterExactOffset() throws Exception {
    proxy.limitData(Direction.DOWNSTREAM, 1000);
    try (Socket s = connect()) {
      s.getOutputStream().write(new byte[5000]);
      byte[] all = s.getInputStream().readAllBytes();
      assertEquals(1000, all.length);
    }
  }

  @Test
  void slicerKeepsContent() throws Exception {
    proxy.slicer(Direction.BOTH, 1, 64, 99);
    try (Socket s = connect()) {
      Payloads.Digest[] d = roundTrip(s, 11, 64 * 1024);
      assertEquals(d[0], d[1]);
    }
  }

  @Test
  void resetAllResetsOpenConnections() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(1);
      assertEquals(1, s.getInputStream().read());
      assertEquals(1, proxy.connectionCount());
      proxy.resetAll();
      assertThrows(IOException.class, () -> {
        s.getInputStream().read();
        s.getInputStream().read();
      });
      waitFor(() -> proxy.connectionCount() == 0, 5000);
    }
  }

  @Test
  void peerResetIsForwardedAsReset() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(1);
      assertEquals(1, s.getInputStream().read());
      // find the proxy's upstream connection and make the target side look reset
      proxy.connections().get(0).reset();
      IOException e = assertThrows(IOException.class, () -> {
        while (s.getInputStream().read() >= 0) {
          // keep reading
        }
      });
      assertTrue(e.getMessage() != null);
    }
  }

  @Test
  void toxicityZeroAffectsNoConnection() throws Exception {
    proxy.toxicity(0.0, 1).limitData(Direction.BOTH, 0);
    try (Socket s = connect()) {
      Payloads.Digest[] d = roundTrip(s, 5, 10_000);
      assertEquals(d[0], d[1]);
      assertFalse(proxy.connections().stream().anyMatch(FaultProxy.ProxiedConnection::affected));
    }
  }

  @Test
  void toxicitySelectsAShare() throws Exception {
    proxy.toxicity(0.5, 1234);
    int affected = 0;
    for (int i = 0; i < 20; i++) {
      try (Socket s = connect()) {
        s.getOutputStream().write(1);
        assertEquals(1, s.getInputStream().read());
        affected += proxy.connections().stream().filter(c -> c.affected()).count() > 0 ? 1 : 0;
      }
      waitFor(() -> proxy.connectionCount() == 0, 5000);
    }
    assertTrue(affected > 2 && affected < 18, "affected " + affected + "/20");
  }

  @Test
  void disableRefusesAndEnableListensAgain() throws Exception {
    proxy.disable();
    assertFalse(proxy.isEnabled());
    // The freed port is normally refused; on a busy machine another process may bind it in the
    // meantime, so what must hold is that the proxy itself no longer takes connections.
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      Thread.sleep(100);
      assertEquals(0, proxy.connectionCount(), "a disabled proxy accepted a connection");
    } catch (ConnectException expected) {
      // refused, as usual
    }
    proxy.enable();
    try (Socket s = connect()) {
      s.getOutputStream().write(5);
      assertEquals(5, s.getInputStream().read());
    }
  }

  @Test
  void closeStopsAllThreads() throws Exception {
    ResourceBaseline base = ResourceBaseline.capture("faultproxy-t2");
    FaultProxy p = FaultProxy.builder(echo.address()).name("t2").start();
    Socket s = new Socket("127.0.0.1", p.port());
    OutputStream out = s.getOutputStream();
    out.write(1);
    assertEquals(1, s.getInputStream().read());
    p.close();
    s.close();
    base.assertBackToBaseline(0, Duration.ofSeconds(5));
  }
}
