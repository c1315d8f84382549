package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridrelay.core.RelayCloseStatus;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.it.support.JettyPeer;
import dev.hybridrelay.it.support.LocalhostTls;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.testkit.RawWebSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.websocket.CloseReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Jetty 9.4's {@code javax.websocket} client, the official Java SDK's transport, as a real peer
 * through the local relay over ws and wss: a Jetty sender against our listener, and our sender
 * against a Jetty listener side (control channel and rendezvous). Close codes and reasons both ways,
 * with and without Jetty's half-close (its close sends Close, then shuts down its output), the 64 KiB
 * message cap of Jetty's default configuration, and data integrity (SHA-256).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class JettyInteropTest {
  static final Duration T = Duration.ofSeconds(30);
  static final int CONNECTIONS = 200;
  static final ObjectMapper JSON = new ObjectMapper();

  RelayFixture ws;
  RelayFixture wss;
  JettyPeer jettyWs;
  JettyPeer jettyWss;
  SSLContext trusting;

  @BeforeAll
  void start() throws Exception {
    trusting = LocalhostTls.trusting();
    ws = RelayFixture.start();
    wss = RelayFixture.start(b -> {
      try {
        return b.tls(LocalhostTls.keystore(), LocalhostTls.PASSWORD);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    jettyWs = JettyPeer.start(null);
    jettyWss = JettyPeer.start(trusting);
  }

  @AfterAll
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {jettyWs, jettyWss, ws, wss}) {
      if (c != null) {
        c.close();
      }
    }
  }

  RelayFixture relay(boolean tls) {
    return tls ? wss : ws;
  }

  JettyPeer jetty(boolean tls) {
    return tls ? jettyWss : jettyWs;
  }

  URI uri(boolean tls, String pathAndQuery) {
    return URI.create((tls ? "wss" : "ws") + "://localhost:" + relay(tls).port() + pathAndQuery);
  }

  Map<String, String> auth(boolean tls, String entity) {
    return Map.of("ServiceBusAuthorization", relay(tls).token(entity));
  }

  RelayListener.Builder listener(boolean tls, String entity) {
    return RelayListener.builder(relay(tls).connectionString(entity)).sslContext(trusting);
  }

  RelaySender sender(boolean tls, String entity) {
    return RelaySender.builder(relay(tls).connectionString(entity)).sslContext(trusting).build();
  }

  JettyPeer.Conn jettySender(boolean tls, String entity) throws Exception {
    return jetty(tls).connect(uri(tls, "/$hc/" + entity + "?sb-hc-action=connect"), auth(tls, entity));
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  static byte[] random(Random r, int size) {
    byte[] b = new byte[size];
    r.nextBytes(b);
    return b;
  }

  /** Streams everything back until end-of-stream, then closes (Close 1000 "Normal Closure"). */
  static void echoUntilEnd(RelayConnection c, Map<String, RelayCloseStatus> statuses, AtomicInteger failures) {
    try (c) {
      InputStream in = c.getInputStream();
      OutputStream out = c.getOutputStream();
      byte[] buf = new byte[32 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
      statuses.put(c.trackingId(), c.closeStatus().orElseThrow());
    } catch (IOException | RuntimeException e) {
      failures.incrementAndGet();
      c.closeStatus().ifPresent(s -> statuses.put(c.trackingId(), s));
    }
  }

  // ---------------------------------------------------------------- Jetty sender -> our listener

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void jettySendersThatCloseAndHalfCloseGetOurListenersClose(boolean tls) throws Exception {
    String entity = "jetty-sender-" + tls;
    Map<String, RelayCloseStatus> statuses = new ConcurrentHashMap<>();
    AtomicInteger failures = new AtomicInteger();
    Random random = new Random(1801);
    int unexpected1006 = 0;
    int listenersCloseSeen = 0;
    try (RelayListener l = listener(tls, entity).connectionHandler(c -> echoUntilEnd(c, statuses, failures)).build()) {
      l.open();
      for (int i = 0; i < CONNECTIONS; i++) {
        JettyPeer.Conn s = jettySender(tls, entity);
        byte[] data = random(random, 1 + random.nextInt(8 * 1024));
        s.send(data);
        assertThat(sha256(s.readBinary(data.length, T))).isEqualTo(sha256(data));
        s.close(1000, "sender done " + i); // Close, then shutdownOutput, without waiting
        CloseReason r = s.awaitClosed(T);
        if (r.getCloseCode().getCode() == 1006) {
          unexpected1006++;
        } else if (r.getCloseCode().getCode() == 1000 && r.getReasonPhrase().equals("Normal Closure")) {
          listenersCloseSeen++;
        }
      }
    }
    assertThat(unexpected1006).isZero();
    assertThat(listenersCloseSeen).isEqualTo(CONNECTIONS);
    assertThat(failures.get()).isZero();
    assertThat(statuses).hasSize(CONNECTIONS);
    assertThat(statuses.values()).allSatisfy(s -> {
      assertThat(s.code()).isEqualTo(1000);
      assertThat(s.reason()).startsWith("sender done ");
      assertThat(s.clean()).isTrue();
    });
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void ourListenersShutdownReachesTheJettySenderWithItsCodeAndReason(boolean tls) throws Exception {
    String entity = "jetty-sender-shutdown-" + tls;
    byte[] data = random(new Random(1802), 3 * 64 * 1024 + 17);
    CompletableFuture<RelayCloseStatus> listenerStatus = new CompletableFuture<>();
    CompletableFuture<Integer> afterShutdown = new CompletableFuture<>();
    try (RelayListener l = listener(tls, entity).connectionHandler(c -> {
      try (c) {
        byte[] got = c.getInputStream().readNBytes(data.length);
        c.getOutputStream().write(got);
        c.shutdownOutput(); // Close 1000 "Shutdown"; Jetty answers and the input then ends
        afterShutdown.complete(c.getInputStream().read());
        listenerStatus.complete(c.closeStatus().orElseThrow());
      } catch (IOException e) {
        listenerStatus.completeExceptionally(e);
      }
    }).build()) {
      l.open();
      JettyPeer.Conn s = jettySender(tls, entity);
      for (int off = 0; off < data.length; off += 64 * 1024) {
        s.send(data, off, Math.min(64 * 1024, data.length - off));
      }
      assertThat(sha256(s.readBinary(data.length, T))).isEqualTo(sha256(data));
      CloseReason r = s.awaitClosed(T);
      assertThat(r.getCloseCode().getCode()).isEqualTo(1000);
      assertThat(r.getReasonPhrase()).isEqualTo("Shutdown");
      assertThat(afterShutdown.get(30, TimeUnit.SECONDS)).isEqualTo(-1);
      assertThat(listenerStatus.get(30, TimeUnit.SECONDS).clean()).isTrue();
      assertThat(s.largestMessage()).isLessThanOrEqualTo((int) jetty(tls).maxBinaryMessageSize());
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aJettySendersCustomCodeReachesOurListenerAsAResetWithItsCodeAndReason(boolean tls) throws Exception {
    String entity = "jetty-sender-4001-" + tls;
    CompletableFuture<Throwable> readFailure = new CompletableFuture<>();
    CompletableFuture<RelayCloseStatus> status = new CompletableFuture<>();
    try (RelayListener l = listener(tls, entity).connectionHandler(c -> {
      try (c) {
        assertThat(c.getInputStream().readNBytes(3)).containsExactly(1, 2, 3);
        readFailure.complete(catchThrowable(() -> c.getInputStream().read()));
        status.complete(c.closeStatus().orElseThrow());
      } catch (IOException | AssertionError e) {
        readFailure.completeExceptionally(e);
      }
    }).build()) {
      l.open();
      JettyPeer.Conn s = jettySender(tls, entity);
      s.send(new byte[] {1, 2, 3});
      s.close(4001, "the sender gives up");
      assertThat(readFailure.get(30, TimeUnit.SECONDS)).isInstanceOf(SocketException.class)
          .hasMessageContaining("4001").hasMessageContaining("the sender gives up");
      assertThat(status.get(30, TimeUnit.SECONDS)).isEqualTo(new RelayCloseStatus(4001, "the sender gives up", false));
      assertThat(s.awaitClosed(T).getCloseCode().getCode()).isNotEqualTo(1006);
    }
  }

  static Throwable catchThrowable(ThrowingRunnable r) {
    try {
      r.run();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  // ---------------------------------------------------------------- our sender -> Jetty listener side

  /** A Jetty control channel plus a Jetty rendezvous per accept message. */
  final class JettyListenerSide implements AutoCloseable {
    final boolean tls;
    final JettyPeer.Conn control;

    JettyListenerSide(boolean tls, String entity) throws Exception {
      this.tls = tls;
      control = jetty(tls).connect(uri(tls, "/$hc/" + entity + "?sb-hc-action=listen"), auth(tls, entity));
      relay(tls).awaitListeners(entity, 1, T);
    }

    /** Takes the next accept message and connects Jetty to its address; the rendezvous echoes. */
    JettyPeer.Conn acceptNext(boolean echo) throws Exception {
      Object m = control.next(T);
      JsonNode accept = JSON.readTree((String) m).get("accept");
      JettyPeer.Conn[] self = new JettyPeer.Conn[1];
      JettyPeer.Conn rv = new JettyPeer.Conn();
      if (echo) {
        rv.onBinary(b -> {
          try {
            self[0].send(b);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      }
      self[0] = rv;
      return jetty(tls).connect(URI.create(accept.get("address").asText()), Map.of(), rv);
    }

    @Override
    public void close() throws IOException {
      control.close(1000, "done");
    }
  }

  CompletableFuture<RelayConnection> connectAsync(RelaySender sender) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return sender.connect();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void ourSendersShutdownReachesJettyAndItsAnswerIsACleanEnd(boolean tls) throws Exception {
    String entity = "jetty-listener-" + tls;
    RelaySender sender = sender(tls, entity);
    Random random = new Random(1803);
    int unexpected1006 = 0;
    int ourCloseSeen = 0;
    try (JettyListenerSide side = new JettyListenerSide(tls, entity)) {
      for (int i = 0; i < CONNECTIONS; i++) {
        CompletableFuture<RelayConnection> connecting = connectAsync(sender);
        JettyPeer.Conn rv = side.acceptNext(true);
        try (RelayConnection c = connecting.get(30, TimeUnit.SECONDS)) {
          byte[] data = random(random, 1 + random.nextInt(8 * 1024));
          c.getOutputStream().write(data);
          c.shutdownOutput();
          byte[] back = c.getInputStream().readAllBytes(); // -1 at Jetty's answer, no exception
          assertThat(sha256(back)).isEqualTo(sha256(data));
          assertThat(c.closeStatus()).hasValueSatisfying(s -> assertThat(s.clean()).isTrue());
        }
        CloseReason r = rv.awaitClosed(T);
        if (r.getCloseCode().getCode() == 1006) {
          unexpected1006++;
        } else if (r.getCloseCode().getCode() == 1000 && r.getReasonPhrase().equals("Shutdown")) {
          ourCloseSeen++;
        }
      }
    }
    assertThat(unexpected1006).isZero();
    assertThat(ourCloseSeen).isEqualTo(CONNECTIONS);
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aJettyListenerThatClosesAndHalfClosesGetsOurSendersClose(boolean tls) throws Exception {
    String entity = "jetty-listener-closes-" + tls;
    RelaySender sender = sender(tls, entity);
    int unexpected1006 = 0;
    try (JettyListenerSide side = new JettyListenerSide(tls, entity)) {
      for (int i = 0; i < CONNECTIONS; i++) {
        CompletableFuture<RelayConnection> connecting = connectAsync(sender);
        JettyPeer.Conn rv = side.acceptNext(false);
        try (RelayConnection c = connecting.get(30, TimeUnit.SECONDS)) {
          byte[] hello = ("hello " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
          rv.send(hello);
          rv.close(1000, "listener done " + i); // Close, then shutdownOutput
          assertThat(c.getInputStream().readAllBytes()).isEqualTo(hello);
          assertThat(c.closeStatus()).hasValue(new RelayCloseStatus(1000, "listener done " + i, true));
        } // our close: Close 1000 "Normal Closure" to the half-closed Jetty
        if (rv.awaitClosed(T).getCloseCode().getCode() == 1006) {
          unexpected1006++;
        }
      }
    }
    assertThat(unexpected1006).isZero();
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aJettyListenersCustomCodeReachesOurSenderAsAResetWithItsCodeAndReason(boolean tls) throws Exception {
    String entity = "jetty-listener-4002-" + tls;
    RelaySender sender = sender(tls, entity);
    try (JettyListenerSide side = new JettyListenerSide(tls, entity)) {
      CompletableFuture<RelayConnection> connecting = connectAsync(sender);
      JettyPeer.Conn rv = side.acceptNext(false);
      try (RelayConnection c = connecting.get(30, TimeUnit.SECONDS)) {
        rv.send(new byte[] {4, 2});
        rv.close(4002, "the listener refuses");
        assertThat(c.getInputStream().readNBytes(2)).containsExactly(4, 2);
        assertThatThrownBy(() -> c.getInputStream().read()).isInstanceOf(SocketException.class)
            .hasMessageContaining("4002").hasMessageContaining("the listener refuses");
        assertThat(c.closeStatus()).hasValue(new RelayCloseStatus(4002, "the listener refuses", false));
      }
      assertThat(rv.awaitClosed(T).getCloseCode().getCode()).isNotEqualTo(1006);
    }
  }

  // ---------------------------------------------------------------- 64 KiB cap and integrity

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void ourSenderNeverWritesAMessageLargerThanJettyAccepts(boolean tls) throws Exception {
    String entity = "jetty-cap-sender-" + tls;
    RelaySender sender = sender(tls, entity);
    byte[] data = random(new Random(1804), 4 * 1024 * 1024 + 3);
    try (JettyListenerSide side = new JettyListenerSide(tls, entity)) {
      CompletableFuture<RelayConnection> connecting = connectAsync(sender);
      JettyPeer.Conn rv = side.acceptNext(false);
      try (RelayConnection c = connecting.get(30, TimeUnit.SECONDS)) {
        c.getOutputStream().write(data); // one write: cut into messages of at most 64 KiB
        c.shutdownOutput();
        byte[] got = rv.readBinary(data.length, T);
        assertThat(sha256(got)).isEqualTo(sha256(data));
        assertThat(rv.largestMessage()).isLessThanOrEqualTo((int) jetty(tls).maxBinaryMessageSize());
        assertThat(rv.binaryMessages()).isGreaterThanOrEqualTo((int) (data.length / jetty(tls).maxBinaryMessageSize()));
        // Jetty would have closed with 1009 on a bigger message; it answers our Close instead.
        CloseReason r = rv.awaitClosed(T);
        assertThat(r.getCloseCode().getCode()).isEqualTo(1000);
        assertThat(r.getReasonPhrase()).isEqualTo("Shutdown");
        assertThat(c.getInputStream().read()).isEqualTo(-1);
      }
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void jettyClosesWith1009OnAMessageOver64KiB(boolean tls) throws Exception {
    // The control for the two cap tests: a sender that writes one bigger message is refused by Jetty.
    String entity = "jetty-cap-control-" + tls;
    try (JettyListenerSide side = new JettyListenerSide(tls, entity)) {
      CompletableFuture<RawWebSocket> connecting = CompletableFuture.supplyAsync(() -> {
        try {
          RawWebSocket raw = RawWebSocket.connect(uri(tls, "/"), trusting, T);
          assertThat(raw.handshake("/$hc/" + entity + "?sb-hc-action=connect", auth(tls, entity)).status())
              .isEqualTo(101);
          return raw;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      JettyPeer.Conn rv = side.acceptNext(false);
      RawWebSocket raw = connecting.get(30, TimeUnit.SECONDS);
      try {
        raw.sendFrame(true, RawWebSocket.OP_BINARY, true, new byte[(int) jetty(tls).maxBinaryMessageSize() + 1]);
        assertThat(rv.awaitClosed(T).getCloseCode().getCode()).isEqualTo(1009);
        assertThat(rv.binaryMessages()).isZero();
      } finally {
        raw.close();
      }
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void ourListenerNeverWritesAMessageLargerThanJettyAccepts(boolean tls) throws Exception {
    String entity = "jetty-cap-listener-" + tls;
    byte[] data = random(new Random(1805), 4 * 1024 * 1024 + 5);
    try (RelayListener l = listener(tls, entity).connectionHandler(c -> {
      try (c) {
        c.getOutputStream().write(data); // one write
        c.getInputStream().readAllBytes();
      } catch (IOException e) {
        // the test fails on the Jetty side
      }
    }).build()) {
      l.open();
      JettyPeer.Conn s = jettySender(tls, entity);
      byte[] got = s.readBinary(data.length, T);
      assertThat(sha256(got)).isEqualTo(sha256(data));
      assertThat(s.closed).isNotDone(); // Jetty would have closed with 1009 on a bigger message
      assertThat(s.largestMessage()).isLessThanOrEqualTo((int) jetty(tls).maxBinaryMessageSize());
      s.close(1000, "got it all");
      assertThat(s.awaitClosed(T).getCloseCode().getCode()).isNotIn(1006, 1009);
    }
  }
}
