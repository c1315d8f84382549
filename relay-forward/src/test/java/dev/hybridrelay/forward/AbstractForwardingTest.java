package dev.hybridrelay.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Forwarding scenarios with real TCP peers on both ends: client → {@link LocalForwarder} → relay
 * connection → {@link RemoteForwarder} → target. Subclasses supply the relay connection: an
 * in-memory pipe, or the local relay server.
 */
abstract class AbstractForwardingTest {

  /** A running chain. */
  interface Chain extends AutoCloseable {
    LocalForwarder local();

    RemoteForwarder remote();

    @Override
    void close();
  }

  /** Recorded events of one forwarder. */
  static final class Recorder implements ForwardEvents {
    final List<ForwardedConnection> opened = new CopyOnWriteArrayList<>();
    final List<ForwardedConnection> closed = new CopyOnWriteArrayList<>();
    final List<ForwardFailure> refused = new CopyOnWriteArrayList<>();

    @Override
    public void onOpened(ForwardedConnection c) {
      opened.add(c);
    }

    @Override
    public void onClosed(ForwardedConnection c) {
      closed.add(c);
    }

    @Override
    public void onRefused(ForwardFailure f) {
      refused.add(f);
    }
  }

  final Recorder localEvents = new Recorder();
  final Recorder remoteEvents = new Recorder();
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  /** Builds and starts a chain forwarding {@code localPortName} to the remote forwarder's {@code targets}. */
  abstract Chain chain(String localPortName, List<ForwardTarget> targets, ForwardOptions options,
      boolean strictPortNames) throws Exception;

  /** Payload size for the large-transfer test. */
  abstract int largePayloadBytes();

  /**
   * Whether the relay chooses listeners by port name (the local relay): a name no listener
   * announced is then refused by the relay (404), before any remote forwarder sees it.
   */
  boolean relayRoutesByPortName() {
    return false;
  }

  Chain chain(String portName, ForwardTarget target) throws Exception {
    return track(chain(portName, List.of(target), ForwardOptions.defaults(), false));
  }

  <T extends AutoCloseable> T track(T c) {
    cleanup.add(c);
    return c;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  @Test
  @Timeout(60)
  void httpServerAndJdkHttpClientThroughTheChain() throws Exception {
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/", ex -> {
      byte[] body = ("hello from " + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(body);
      }
    });
    http.start();
    track(() -> http.stop(0));
    Chain c = chain("web", new ForwardTarget("web", "127.0.0.1", http.getAddress().getPort()));

    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + c.local().localPort() + "/page" + i)).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("hello from /page" + i);
    }
    assertThat(c.local().stats().totalConnections()).isGreaterThanOrEqualTo(1);
    assertThat(c.local().stats().bytesFromRelay()).isGreaterThan(0);
  }

  @Test
  @Timeout(60)
  void lineProtocol() throws Exception {
    TcpPeers.Server upper = track(new TcpPeers.Server(s -> {
      try {
        BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter w = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8);
        String line;
        while ((line = r.readLine()) != null) {
          if (line.equals("QUIT")) {
            w.println("BYE");
            return;
          }
          w.println(line.toUpperCase(Locale.ROOT));
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }));
    Chain c = chain("upper", new ForwardTarget("upper", "127.0.0.1", upper.port()));
    try (Socket s = TcpPeers.connect(c.local().localPort())) {
      BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      PrintWriter w = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8);
      for (String word : List.of("alpha", "beta", "grüße", "")) {
        w.println(word);
        assertThat(r.readLine()).isEqualTo(word.toUpperCase(Locale.ROOT));
      }
      w.println("QUIT");
      assertThat(r.readLine()).isEqualTo("BYE");
      assertThat(r.readLine()).isNull();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> localEvents.closed.size() == 1 && remoteEvents.closed.size() == 1);
    ForwardedConnection lc = localEvents.closed.get(0);
    assertThat(lc.outcome()).contains(ForwardOutcome.CLOSED);
    assertThat(lc.portName()).isEqualTo("upper");
    assertThat(lc.bytesFromRelay()).isEqualTo("ALPHA\nBETA\nGRÜSSE\n\nBYE\n".getBytes(StandardCharsets.UTF_8).length);
  }

  @Test
  @Timeout(120)
  void largeRandomPayloadBothWaysKeepsItsSha256() throws Exception {
    TcpPeers.Server echo = track(TcpPeers.echo());
    Chain c = chain("echo", new ForwardTarget("echo", "127.0.0.1", echo.port()));
    long seed = System.nanoTime();
    int size = largePayloadBytes();
    try (Socket s = TcpPeers.connect(c.local().localPort())) {
      ExecutorService ex = Executors.newSingleThreadExecutor();
      Future<byte[]> sent = ex.submit(() -> {
        Random rnd = new Random(seed);
        var md = TcpPeers.sha256();
        OutputStream out = s.getOutputStream();
        byte[] chunk = new byte[1 << 20];
        int left = size;
        while (left > 0) {
          int n = Math.min(left, 1 + rnd.nextInt(chunk.length));
          rnd.nextBytes(chunk);
          out.write(chunk, 0, n);
          md.update(chunk, 0, n);
          left -= n;
        }
        s.shutdownOutput();
        return md.digest();
      });
      var md = TcpPeers.sha256();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[64 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buf)) >= 0) {
        md.update(buf, 0, n);
        total += n;
      }
      assertThat(total).as("bytes echoed, seed %d", seed).isEqualTo(size);
      assertThat(md.digest()).as("SHA-256, seed %d", seed).isEqualTo(sent.get(60, TimeUnit.SECONDS));
      ex.shutdown();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> localEvents.closed.size() == 1);
    assertThat(localEvents.closed.get(0).bytesToRelay()).isEqualTo(size);
    assertThat(localEvents.closed.get(0).bytesFromRelay()).isEqualTo(size);
    assertThat(c.local().stats().bytesToRelay()).isEqualTo(size);
  }

  @Test
  @Timeout(120)
  void twoHundredConcurrentConnections() throws Exception {
    TcpPeers.Server echo = track(TcpPeers.echo());
    Chain c = chain("echo", new ForwardTarget("echo", "127.0.0.1", echo.port()));
    int count = 200;
    ExecutorService ex = Executors.newFixedThreadPool(count);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int id = i;
        results.add(ex.submit(() -> {
          byte[] data = new byte[16 * 1024 + id];
          new Random(id).nextBytes(data);
          try (Socket s = TcpPeers.connect(c.local().localPort())) {
            s.getOutputStream().write(data);
            s.shutdownOutput();
            return Arrays.equals(s.getInputStream().readAllBytes(), data);
          }
        }));
      }
      for (Future<Boolean> f : results) {
        assertThat(f.get(90, TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      ex.shutdownNow();
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> c.local().stats().activeConnections() == 0);
    ForwardStats st = c.local().stats();
    assertThat(st.totalConnections()).isEqualTo(count);
    assertThat(st.failedConnections()).isZero();
    assertThat(st.refusedConnections()).isZero();
  }

  @Test
  @Timeout(60)
  void clientHalfCloseStillReadsTheReply() throws Exception {
    TcpPeers.Server counter = track(new TcpPeers.Server(s -> {
      try {
        byte[] all = s.getInputStream().readAllBytes();
        s.getOutputStream().write(("got " + all.length + " bytes").getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }));
    Chain c = chain("count", new ForwardTarget("count", "127.0.0.1", counter.port()));
    try (Socket s = TcpPeers.connect(c.local().localPort())) {
      s.getOutputStream().write(new byte[12345]);
      s.shutdownOutput();
      assertThat(TcpPeers.utf8(s.getInputStream().readAllBytes())).isEqualTo("got 12345 bytes");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> remoteEvents.closed.size() == 1);
    assertThat(remoteEvents.closed.get(0).outcome()).contains(ForwardOutcome.CLOSED);
  }

  @Test
  @Timeout(60)
  void targetHalfCloseStillReceivesTheClientsData() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    TcpPeers.Server greeter = track(new TcpPeers.Server(s -> {
      try {
        s.getOutputStream().write("hello, then FIN".getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput();
        received.add(TcpPeers.utf8(s.getInputStream().readAllBytes()));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }));
    Chain c = chain("greet", new ForwardTarget("greet", "127.0.0.1", greeter.port()));
    try (Socket s = TcpPeers.connect(c.local().localPort())) {
      assertThat(TcpPeers.utf8(s.getInputStream().readAllBytes())).isEqualTo("hello, then FIN");
      s.getOutputStream().write("written after the server's FIN".getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
    }
    assertThat(received).containsExactly("written after the server's FIN");
  }

  @Test
  @Timeout(60)
  void targetResetReachesTheClientAsResetNotEof() throws Exception {
    TcpPeers.Server resetter = track(new TcpPeers.Server(s -> {
      try {
        s.getInputStream().read(new byte[5]);
        s.getOutputStream().write("partial".getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        Thread.sleep(200);
        s.setSoLinger(true, 0);
        s.close();
      } catch (IOException | InterruptedException e) {
        throw new RuntimeException(e);
      }
    }));
    Chain c = chain("reset", new ForwardTarget("reset", "127.0.0.1", resetter.port()));
    try (Socket s = TcpPeers.connect(c.local().localPort())) {
      s.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
      InputStream in = s.getInputStream();
      assertThatThrownBy(() -> {
        byte[] buf = new byte[1024];
        while (in.read(buf) >= 0) {
          // drain "partial" until the reset arrives
        }
      }).as("a reset must not look like a clean end of stream").isInstanceOf(SocketException.class);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> remoteEvents.closed.size() == 1 && localEvents.closed.size() == 1);
    assertThat(remoteEvents.closed.get(0).outcome()).contains(ForwardOutcome.TCP_RESET);
    assertThat(localEvents.closed.get(0).outcome()).contains(ForwardOutcome.RELAY_ABORTED);
  }

  @Test
  @Timeout(60)
  void clientResetReachesTheTargetAsReset() throws Exception {
    List<Throwable> targetSaw = new CopyOnWriteArrayList<>();
    TcpPeers.Server target = track(new TcpPeers.Server(s -> {
      try {
        byte[] buf = new byte[1024];
        while (s.getInputStream().read(buf) >= 0) {
          // keep reading
        }
        targetSaw.add(new AssertionError("clean EOF"));
      } catch (IOException e) {
        targetSaw.add(e);
      }
    }));
    Chain c = chain("t", new ForwardTarget("t", "127.0.0.1", target.port()));
    Socket s = TcpPeers.connect(c.local().localPort());
    s.getOutputStream().write("some bytes".getBytes(StandardCharsets.UTF_8));
    await().atMost(Duration.ofSeconds(10)).until(() -> remoteEvents.opened.size() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> remoteEvents.opened.get(0).bytesFromRelay() == 10);
    s.setSoLinger(true, 0);
    s.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> targetSaw.size() == 1);
    assertThat(targetSaw.get(0)).isInstanceOf(SocketException.class);
  }

  @Test
  @Timeout(60)
  void portNameMismatchIsReportedOnBothEndsWithBothNames() throws Exception {
    TcpPeers.Server echo = track(TcpPeers.echo());
    Chain c = track(chain("rdp", List.of(new ForwardTarget("ssh", "127.0.0.1", echo.port()),
        new ForwardTarget("3389", "127.0.0.1", echo.port())), ForwardOptions.defaults(), true));
    LocalForwarder local = c.local();
    // The refusal is a reset; it may arrive while connecting, writing or reading.
    assertThatThrownBy(() -> {
      try (Socket s = TcpPeers.connect(local.localPort())) {
        s.getOutputStream().write("x".getBytes(StandardCharsets.UTF_8));
        if (s.getInputStream().read() < 0) {
          throw new SocketException("EOF");
        }
      }
    }).isInstanceOf(SocketException.class);
    if (relayRoutesByPortName()) {
      // the relay knows the listener's names and refuses at once, naming the asked one
      await().atMost(Duration.ofSeconds(10)).until(() -> localEvents.refused.size() == 1);
      assertThat(localEvents.refused.get(0).message()).contains("404")
          .contains("None of the listeners connected for the endpoint serves port name 'rdp'");
      assertThat(remoteEvents.refused).isEmpty();
    } else {
      await().atMost(Duration.ofSeconds(10))
          .until(() -> localEvents.refused.size() == 1 && remoteEvents.refused.size() == 1);
      assertThat(localEvents.refused.get(0).message())
          .contains("refused port name 'rdp'")
          .contains("check that its -T rule uses the same port name");
      assertThat(remoteEvents.refused.get(0).message())
          .contains("sender asked for port name 'rdp' but this forwarder")
          .contains("only serves 'ssh', '3389'");
    }
    assertThat(echo.accepted.get()).isZero();
    assertThat(local.stats().refusedConnections()).isEqualTo(1);
  }

  @Test
  @Timeout(60)
  void sendersCannotReachUnconfiguredTargets() throws Exception {
    TcpPeers.Server sentinel = track(TcpPeers.echo());
    TcpPeers.Server configured = track(TcpPeers.echo());
    List<String> attempts = List.of(String.valueOf(sentinel.port()), "127.0.0.1:" + sentinel.port(),
        "localhost:" + sentinel.port(), "[::1]:" + sentinel.port(), "169.254.169.254:80", "../" + sentinel.port(),
        "only/" + sentinel.port());
    for (String name : attempts) {
      Chain c = track(chain(name, List.of(new ForwardTarget("app", "127.0.0.1", configured.port())),
          ForwardOptions.defaults(), true));
      // The refusal is a reset; it may arrive while connecting, writing or reading.
      assertThatThrownBy(() -> {
        try (Socket s = TcpPeers.connect(c.local().localPort())) {
          s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.UTF_8));
          if (s.getInputStream().read() < 0) {
            throw new SocketException("EOF");
          }
        }
      }).as("port name %s", name).isInstanceOf(SocketException.class);
    }
    if (relayRoutesByPortName()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> localEvents.refused.size() == attempts.size());
    } else {
      await().atMost(Duration.ofSeconds(10)).until(() -> remoteEvents.refused.size() == attempts.size());
    }
    assertThat(sentinel.accepted.get()).as("connections reaching the sentinel").isZero();
    assertThat(configured.accepted.get()).as("connections reaching the configured target").isZero();
  }

  @Test
  @Timeout(60)
  void loneTargetAcceptsNumericNamesByDefaultAndStillOnlyReachesItsTarget() throws Exception {
    TcpPeers.Server sentinel = track(TcpPeers.echo());
    TcpPeers.Server configured = track(TcpPeers.echo());
    Chain c = track(chain(String.valueOf(sentinel.port()),
        List.of(new ForwardTarget("3389", "127.0.0.1", configured.port())), ForwardOptions.defaults(), false));
    assertThat(c.remote().loneTargetRule()).isTrue();
    try (Socket s = TcpPeers.connect(c.local().localPort())) {
      s.getOutputStream().write("ping".getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      assertThat(TcpPeers.utf8(s.getInputStream().readAllBytes())).isEqualTo("ping");
    }
    assertThat(configured.accepted.get()).isEqualTo(1);
    assertThat(sentinel.accepted.get()).isZero();
  }

  @Test
  @Timeout(60)
  void strictPortNamesRefuseANumericNameThatIsNotTheTargets() throws Exception {
    TcpPeers.Server configured = track(TcpPeers.echo());
    Chain c = track(chain("18080", List.of(new ForwardTarget("8000", "127.0.0.1", configured.port())),
        ForwardOptions.defaults(), true));
    assertThat(c.remote().loneTargetRule()).isFalse();
    // The refusal is a reset; it may arrive while connecting, writing or reading.
    assertThatThrownBy(() -> {
      try (Socket s = TcpPeers.connect(c.local().localPort())) {
        s.getOutputStream().write("x".getBytes(StandardCharsets.UTF_8));
        if (s.getInputStream().read() < 0) {
          throw new SocketException("EOF");
        }
      }
    }).isInstanceOf(SocketException.class);
    if (relayRoutesByPortName()) {
      // strict: the listener does not announce any numeric name, so the relay refuses 18080
      await().atMost(Duration.ofSeconds(10)).until(() -> localEvents.refused.size() == 1);
      assertThat(localEvents.refused.get(0).message()).contains("serves port name '18080'");
    } else {
      await().atMost(Duration.ofSeconds(10)).until(() -> remoteEvents.refused.size() == 1);
      assertThat(remoteEvents.refused.get(0).message()).contains("asked for port name '18080'")
          .contains("only serves '8000'").doesNotContain("any numeric");
    }
    assertThat(configured.accepted.get()).isZero();
  }

  @Test
  @Timeout(60)
  void connectionLimitRefusesBeyondTheMaximum() throws Exception {
    TcpPeers.Server echo = track(TcpPeers.echo());
    Chain c = track(chain("echo", List.of(new ForwardTarget("echo", "127.0.0.1", echo.port())),
        ForwardOptions.builder().maxConnections(2).build(), false));
    List<Socket> open = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        Socket s = TcpPeers.connect(c.local().localPort());
        open.add(s);
        s.getOutputStream().write('a');
        assertThat(s.getInputStream().read()).isEqualTo('a');
      }
      // The reset may already arrive while connect() completes; either way it is a SocketException.
      assertThatThrownBy(() -> {
        try (Socket third = TcpPeers.connect(c.local().localPort())) {
          third.getOutputStream().write('b');
          if (third.getInputStream().read() < 0) {
            throw new SocketException("EOF");
          }
        }
      }).isInstanceOf(SocketException.class);
      await().atMost(Duration.ofSeconds(10)).until(() -> c.local().stats().refusedConnections() == 1);
      assertThat(localEvents.refused.get(0).message()).contains("limit of 2 concurrent connections");
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
  }

  @Test
  @Timeout(60)
  void idleConnectionsAreAbortedAfterTheIdleTimeout() throws Exception {
    TcpPeers.Server echo = track(TcpPeers.echo());
    Chain c = track(chain("echo", List.of(new ForwardTarget("echo", "127.0.0.1", echo.port())),
        ForwardOptions.builder().idleTimeout(Duration.ofMillis(700)).build(), false));
    try (Socket s = TcpPeers.connect(c.local().localPort())) {
      s.getOutputStream().write('a');
      assertThat(s.getInputStream().read()).isEqualTo('a');
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(300), Duration.ofSeconds(10));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> localEvents.closed.size() == 1);
    assertThat(localEvents.closed.get(0).outcome()).isPresent();
    assertThat(localEvents.closed.get(0).outcome().get())
        .isIn(ForwardOutcome.IDLE_TIMEOUT, ForwardOutcome.RELAY_ABORTED);
  }

  @Test
  @Timeout(60)
  void writeTimeoutAbortsWhenTheTargetStopsReading() throws Exception {
    TcpPeers.Server sleeper = track(new TcpPeers.Server(s -> {
      try {
        Thread.sleep(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    Chain c = track(chain("slow", List.of(new ForwardTarget("slow", "127.0.0.1", sleeper.port())),
        ForwardOptions.builder().writeTimeout(Duration.ofMillis(800)).build(), false));
    try (Socket s = TcpPeers.connect(c.local().localPort())) {
      assertThatThrownBy(() -> {
        byte[] chunk = new byte[64 * 1024];
        OutputStream out = s.getOutputStream();
        for (int i = 0; i < 100_000; i++) {
          out.write(chunk);
        }
      }).isInstanceOf(SocketException.class);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> remoteEvents.closed.size() == 1 && localEvents.closed.size() == 1);
    assertThat(List.of(remoteEvents.closed.get(0).outcome().orElseThrow(), localEvents.closed.get(0).outcome().orElseThrow()))
        .contains(ForwardOutcome.WRITE_TIMEOUT);
  }

  @Test
  @Timeout(60)
  void closeAbortsConnectionsThatOutliveTheGracePeriod() throws Exception {
    TcpPeers.Server echo = track(TcpPeers.echo());
    Chain c = track(chain("echo", List.of(new ForwardTarget("echo", "127.0.0.1", echo.port())),
        ForwardOptions.defaults(), false));
    try (Socket s = TcpPeers.connect(c.local().localPort())) {
      s.getOutputStream().write('a');
      assertThat(s.getInputStream().read()).isEqualTo('a');
      long t0 = System.nanoTime();
      c.local().close(Duration.ofMillis(300));
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketException.class);
      assertThat(localEvents.closed).hasSize(1);
      assertThat(localEvents.closed.get(0).outcome()).contains(ForwardOutcome.FORWARDER_CLOSED);
      assertThatThrownBy(() -> TcpPeers.connect(c.local().localPort()).getInputStream().read())
          .isInstanceOf(IOException.class);
    }
  }
}
