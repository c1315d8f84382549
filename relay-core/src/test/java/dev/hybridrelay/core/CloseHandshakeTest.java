package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.testkit.RawWebSocket;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Close handshakes of our connections with raw peers, over ws and wss: a peer that sends its Close
 * and then half-closes TCP (as Jetty does) still gets our Close, on the listener and the sender side;
 * and the close-code rule of {@link RelayConnection} (1000 always, 1001 after our half-close: clean
 * end; everything else: reset).
 */
@Timeout(180)
class CloseHandshakeTest {
  static final String KEY = "Y2xvc2UtaGFuZHNoYWtlLXRlc3Qta2V5LTAxMjM0NTY3";
  static final char[] PASSWORD = "changeit".toCharArray();
  static final Duration T = Duration.ofSeconds(20);
  static final int ATTEMPTS = 100;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;
  static LocalRelayServer ws;
  static LocalRelayServer wss;
  static SSLContext trusting;

  @BeforeAll
  static void start() throws Exception {
    Path keystore = dir.resolve("relay.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "relay", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
        .redirectErrorStream(true).start();
    keytool.getInputStream().transferTo(OutputStream.nullOutputStream());
    assertThat(keytool.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).isZero();
    ws = LocalRelayServer.builder().autoCreate(true).rule("root", KEY).advertisedHost("localhost").build().start();
    wss = LocalRelayServer.builder().autoCreate(true).rule("root", KEY).tls(keystore, PASSWORD)
        .advertisedHost("localhost").build().start();
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      trust.load(in, PASSWORD);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    trusting = SSLContext.getInstance("TLS");
    trusting.init(null, tmf.getTrustManagers(), null);
  }

  @AfterAll
  static void stop() {
    for (LocalRelayServer r : new LocalRelayServer[] {ws, wss}) {
      if (r != null) {
        r.shutdown(Duration.ZERO);
      }
    }
  }

  static LocalRelayServer relay(boolean tls) {
    return tls ? wss : ws;
  }

  static String cs(boolean tls, String entity) {
    return relay(tls).connectionString("root", entity);
  }

  static String token(boolean tls, String entity) throws IOException {
    RelayConnectionString c = RelayConnectionString.parse(cs(tls, entity));
    return c.tokenProvider().getToken("http://localhost/" + entity + "/", Duration.ofMinutes(30)).token();
  }

  static URI uri(boolean tls, String pathAndQuery) {
    return URI.create((tls ? "wss" : "ws") + "://localhost:" + relay(tls).port() + pathAndQuery);
  }

  static RawWebSocket raw(boolean tls, URI uri) throws IOException {
    return RawWebSocket.connect(uri, trusting, T);
  }

  /** Our sender's side, over a raw control channel: a raw rendezvous for each connection. */
  static final class RawListenerSide implements AutoCloseable {
    final boolean tls;
    final RawWebSocket control;

    RawListenerSide(boolean tls, String entity) throws IOException {
      this.tls = tls;
      control = raw(tls, uri(tls, "/"));
      RawWebSocket.HandshakeResponse r = control.handshake("/$hc/" + entity + "?sb-hc-action=listen",
          Map.of("ServiceBusAuthorization", token(tls, entity)));
      assertThat(r.status()).isEqualTo(101);
    }

    /** Waits for the next accept message and connects its rendezvous address. */
    RawWebSocket acceptNext() throws IOException {
      while (true) {
        RawWebSocket.Frame f = control.readFrame(T);
        if (f.opcode() == RawWebSocket.OP_PING) {
          control.sendFrame(true, RawWebSocket.OP_PONG, true, f.payload());
          continue;
        }
        if (f.opcode() != RawWebSocket.OP_TEXT) {
          throw new IOException("unexpected control frame " + f);
        }
        JsonNode accept = JSON.readTree(f.text()).get("accept");
        URI address = URI.create(accept.get("address").asText());
        RawWebSocket rv = raw(tls, address);
        RawWebSocket.HandshakeResponse r = rv.handshake(address.getRawPath() + "?" + address.getRawQuery(), Map.of());
        assertThat(r.status()).isEqualTo(101);
        return rv;
      }
    }

    @Override
    public void close() {
      control.close();
    }
  }

  /** Reads data frames (skipping pings and pongs) until a Close; returns the data and the Close. */
  static RawWebSocket.Frame readUntilClose(RawWebSocket peer, java.io.ByteArrayOutputStream data) throws IOException {
    while (true) {
      RawWebSocket.Frame f = peer.readFrame(T);
      switch (f.opcode()) {
        case RawWebSocket.OP_CLOSE:
          return f;
        case RawWebSocket.OP_BINARY:
        case RawWebSocket.OP_TEXT:
        case RawWebSocket.OP_CONTINUATION:
          data.write(f.payload());
          break;
        default:
          break;
      }
    }
  }

  static boolean tcpEnds(RawWebSocket peer) {
    try {
      while (true) {
        peer.readFrame(T);
      }
    } catch (EOFException e) {
      return true;
    } catch (IOException e) {
      return !(e instanceof java.net.SocketTimeoutException);
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aSenderThatHalfClosesAfterItsCloseGetsOurListenersClose(boolean tls) throws Exception {
    String entity = "halfclosing-sender-" + tls;
    AtomicInteger cleanEnds = new AtomicInteger();
    try (RelayListener listener = RelayListener.builder(cs(tls, entity)).sslContext(trusting)
        .connectionHandler(c -> {
          try (c) {
            byte[] all = c.getInputStream().readAllBytes(); // -1 at the peer's Close 1000
            c.getOutputStream().write(all);
            if (c.closeStatus().map(RelayCloseStatus::clean).orElse(false)) {
              cleanEnds.incrementAndGet();
            }
          } catch (IOException e) {
            // counted as missing below
          }
        }).build()) {
      listener.open();
      int answered = 0;
      for (int i = 0; i < ATTEMPTS; i++) {
        RawWebSocket sender = raw(tls, uri(tls, "/"));
        RawWebSocket.HandshakeResponse r = sender.handshake("/$hc/" + entity + "?sb-hc-action=connect",
            Map.of("ServiceBusAuthorization", token(tls, entity)));
        assertThat(r.status()).isEqualTo(101);
        byte[] payload = ("attempt " + i).getBytes(StandardCharsets.UTF_8);
        sender.sendFrame(true, RawWebSocket.OP_BINARY, true, payload);
        sender.sendCloseAndShutdownOutput(1000, "sender done");
        java.io.ByteArrayOutputStream echoed = new java.io.ByteArrayOutputStream();
        RawWebSocket.Frame close = readUntilClose(sender, echoed);
        assertThat(echoed.toByteArray()).isEqualTo(payload);
        assertThat(close.closeCode()).isEqualTo(1000);
        assertThat(close.closeReason()).isEqualTo("Normal Closure");
        answered++;
        assertThat(tcpEnds(sender)).isTrue();
        sender.close();
      }
      assertThat(answered).isEqualTo(ATTEMPTS);
      org.awaitility.Awaitility.await().atMost(T).until(() -> cleanEnds.get() == ATTEMPTS);
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aListenerSideThatHalfClosesAfterItsCloseGetsOurSendersClose(boolean tls) throws Exception {
    String entity = "halfclosing-listener-" + tls;
    RelaySender relaySender = RelaySender.builder(cs(tls, entity)).sslContext(trusting).build();
    try (RawListenerSide side = new RawListenerSide(tls, entity)) {
      int answered = 0;
      for (int i = 0; i < ATTEMPTS; i++) {
        CompletableFuture<RelayConnection> connecting = CompletableFuture.supplyAsync(() -> {
          try {
            return relaySender.connect();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        RawWebSocket rv = side.acceptNext();
        try (RelayConnection c = connecting.get(20, TimeUnit.SECONDS)) {
          byte[] payload = ("attempt " + i).getBytes(StandardCharsets.UTF_8);
          rv.sendFrame(true, RawWebSocket.OP_BINARY, true, payload);
          rv.sendCloseAndShutdownOutput(1000, "listener done");
          assertThat(c.getInputStream().readAllBytes()).isEqualTo(payload);
          assertThat(c.closeStatus()).hasValue(new RelayCloseStatus(1000, "listener done", true));
          c.getOutputStream().write(payload); // half-close: we may still send
          c.close();
          java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
          RawWebSocket.Frame close = readUntilClose(rv, data);
          assertThat(data.toByteArray()).isEqualTo(payload);
          assertThat(close.closeCode()).isEqualTo(1000);
          answered++;
          assertThat(tcpEnds(rv)).isTrue();
        } finally {
          rv.close();
        }
      }
      assertThat(answered).isEqualTo(ATTEMPTS);
    }
  }

  /** Our sender writes, shuts down its output, and the raw peer echoes then answers with {@code code}. */
  private static RelayConnection exchange(boolean tls, RawListenerSide side, RelaySender sender, byte[] payload,
      int code, String reason, boolean closeBeforeOurShutdown) throws Exception {
    CompletableFuture<RelayConnection> connecting = CompletableFuture.supplyAsync(() -> {
      try {
        return sender.connect();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    RawWebSocket rv = side.acceptNext();
    RelayConnection c = connecting.get(20, TimeUnit.SECONDS);
    c.getOutputStream().write(payload);
    if (closeBeforeOurShutdown) {
      java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
      while (data.size() < payload.length) {
        RawWebSocket.Frame f = rv.readFrame(T);
        if (f.opcode() == RawWebSocket.OP_BINARY) {
          data.write(f.payload());
        }
      }
      rv.sendFrame(true, RawWebSocket.OP_BINARY, true, data.toByteArray());
      rv.sendClose(code, reason);
      readUntilClose(rv, new java.io.ByteArrayOutputStream()); // our echo of its Close
    } else {
      c.shutdownOutput();
      java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
      RawWebSocket.Frame ours = readUntilClose(rv, data);
      assertThat(ours.closeCode()).isEqualTo(1000);
      assertThat(ours.closeReason()).isEqualTo("Shutdown");
      rv.sendFrame(true, RawWebSocket.OP_BINARY, true, data.toByteArray());
      rv.sendClose(code, reason);
    }
    tcpEnds(rv);
    rv.close();
    return c;
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void a1000Or1001AnswerToOurShutdownIsACleanEnd(boolean tls) throws Exception {
    String entity = "answer-1001-" + tls;
    RelaySender sender = RelaySender.builder(cs(tls, entity)).sslContext(trusting).build();
    Random random = new Random(18);
    try (RawListenerSide side = new RawListenerSide(tls, entity)) {
      for (int code : new int[] {1001, 1000}) {
        for (int i = 0; i < 10; i++) {
          byte[] payload = new byte[1 + random.nextInt(100_000)];
          random.nextBytes(payload);
          try (RelayConnection c = exchange(tls, side, sender, payload, code, "Shutdown", false)) {
            assertThat(c.getInputStream().readAllBytes()).isEqualTo(payload);
            assertThat(c.getInputStream().read()).isEqualTo(-1);
            assertThat(c.closeStatus()).hasValue(new RelayCloseStatus(code, "Shutdown", true));
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void otherAnswersAndA1001BeforeOurShutdownAreResetsAfterTheData(boolean tls) throws Exception {
    String entity = "answer-reset-" + tls;
    RelaySender sender = RelaySender.builder(cs(tls, entity)).sslContext(trusting).build();
    byte[] payload = "all of it".getBytes(StandardCharsets.UTF_8);
    try (RawListenerSide side = new RawListenerSide(tls, entity)) {
      Object[][] cases = {{1011, "server error", false}, {4000, "app says no", false}, {1001, "going away", true}};
      for (Object[] k : cases) {
        int code = (Integer) k[0];
        try (RelayConnection c = exchange(tls, side, sender, payload, code, (String) k[1], (Boolean) k[2])) {
          InputStream in = c.getInputStream();
          assertThat(in.readNBytes(payload.length)).isEqualTo(payload); // the data before the Close arrives
          assertThatThrownBy(in::read).isInstanceOf(SocketException.class)
              .hasMessageContaining("Connection reset").hasMessageContaining("code " + code);
          assertThat(c.closeStatus()).hasValue(new RelayCloseStatus(code, (String) k[1], false));
        }
      }
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aDropAfterOurShutdownIsAReset(boolean tls) throws Exception {
    String entity = "answer-drop-" + tls;
    RelaySender sender = RelaySender.builder(cs(tls, entity)).sslContext(trusting).build();
    try (RawListenerSide side = new RawListenerSide(tls, entity)) {
      CompletableFuture<RelayConnection> connecting = CompletableFuture.supplyAsync(() -> {
        try {
          return sender.connect();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      RawWebSocket rv = side.acceptNext();
      try (RelayConnection c = connecting.get(20, TimeUnit.SECONDS)) {
        c.shutdownOutput();
        assertThat(readUntilClose(rv, new java.io.ByteArrayOutputStream()).closeCode()).isEqualTo(1000);
        rv.abort(); // no Close: the relay aborts our leg
        assertThatThrownBy(() -> c.getInputStream().read()).isInstanceOf(SocketException.class);
        assertThat(c.closeStatus()).hasValueSatisfying(s -> assertThat(s.clean()).isFalse());
      }
    }
  }
}
