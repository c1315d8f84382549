package dev.hybridrelay.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A local forwarder's relay connection that breaks before the WebSocket upgrade (the relay node
 * behind a load balancer was just killed: its kernel still completed the TCP connect) is tried again;
 * an answer of the relay is not. The sender reaches the real local relay through a front that resets
 * the first connections it accepts (TCP RST) and passes the others through.
 */
@Timeout(60)
class RelayConnectRetryTest {
  private static final String RULE = "retry";
  private static final String KEY = LocalRelayServer.Builder.randomKey();

  private LocalRelayServer relay;
  private TcpPeers.Server echo;
  private RemoteForwarder remote;
  private ResettingFront front;

  @BeforeEach
  void start() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true).build().start();
    echo = TcpPeers.echo();
    RelayConnectionString direct = RelayConnectionString.parse(relay.connectionString(RULE, "hc"));
    remote = RemoteForwarder.builder(direct).target("echo", "127.0.0.1", echo.port()).build();
    remote.start();
    await().atMost(Duration.ofSeconds(20)).until(() -> relay.listenerCount("hc") == 1);
    front = new ResettingFront(relay.port());
  }

  @AfterEach
  void stop() throws Exception {
    front.close();
    remote.close();
    echo.close();
    relay.shutdown(Duration.ZERO);
  }

  private RelayConnectionString viaFront(String key) {
    return RelayConnectionString.parse(relay.connectionString(RULE, "hc")
        .replace(":" + relay.port() + "/", ":" + front.port() + "/")
        .replace("SharedAccessKey=" + KEY, "SharedAccessKey=" + key));
  }

  @Test
  void aConnectionResetBeforeTheUpgradeIsTriedAgain() throws Exception {
    front.resetNext(LocalForwarder.RELAY_CONNECT_RETRIES);
    try (LocalForwarder local = LocalForwarder.builder(viaFront(KEY)).portName("echo").build()) {
      local.start();
      assertThat(echoThrough(local.localPort(), "after two resets")).isEqualTo("after two resets");
      assertThat(local.relayConnectRetries()).isEqualTo(LocalForwarder.RELAY_CONNECT_RETRIES);
      assertThat(front.resets.get()).isEqualTo(LocalForwarder.RELAY_CONNECT_RETRIES);
      // later connections go through at once
      assertThat(echoThrough(local.localPort(), "next")).isEqualTo("next");
      assertThat(local.relayConnectRetries()).isEqualTo(LocalForwarder.RELAY_CONNECT_RETRIES);
    }
  }

  @Test
  void triesAreBoundedAndTheClientIsClosed() throws Exception {
    front.resetNext(LocalForwarder.RELAY_CONNECT_RETRIES + 1);
    try (LocalForwarder local = LocalForwarder.builder(viaFront(KEY)).portName("echo").build()) {
      local.start();
      try (Socket s = TcpPeers.connect(local.localPort())) {
        s.getOutputStream().write("lost".getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput();
        assertThat(readOrNothingOnReset(s)).isEmpty();
      }
      assertThat(front.resets.get()).isEqualTo(LocalForwarder.RELAY_CONNECT_RETRIES + 1);
      assertThat(local.relayConnectRetries()).isEqualTo(LocalForwarder.RELAY_CONNECT_RETRIES);
      assertThat(echoThrough(local.localPort(), "then fine")).isEqualTo("then fine");
    }
  }

  @Test
  void anAnswerOfTheRelayIsNotTriedAgain() throws Exception {
    String wrongKey = LocalRelayServer.Builder.randomKey();
    try (LocalForwarder local = LocalForwarder.builder(viaFront(wrongKey)).portName("echo").build()) {
      local.start();
      try (Socket s = TcpPeers.connect(local.localPort())) {
        s.getOutputStream().write("refused".getBytes(StandardCharsets.UTF_8));
        assertThat(readOrNothingOnReset(s)).isEmpty();
      }
      assertThat(local.relayConnectRetries()).isZero();
      assertThat(front.passed.get()).isEqualTo(1);
    }
  }

  /** What the forwarder sent before it closed the client; nothing when it reset it. */
  private static byte[] readOrNothingOnReset(Socket s) {
    try {
      return s.getInputStream().readAllBytes();
    } catch (IOException reset) {
      return new byte[0];
    }
  }

  private static String echoThrough(int port, String text) throws IOException {
    try (Socket s = TcpPeers.connect(port)) {
      s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      return TcpPeers.utf8(TcpPeers.readAll(s.getInputStream()));
    }
  }

  /** Resets the next N accepted connections at once (RST); passes the others through to the relay. */
  private static final class ResettingFront implements AutoCloseable {
    final ServerSocket server;
    final AtomicInteger toReset = new AtomicInteger();
    final AtomicInteger resets = new AtomicInteger();
    final AtomicInteger passed = new AtomicInteger();

    ResettingFront(int relayPort) throws IOException {
      server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
      Thread t = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            if (toReset.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              // counted before the reset: the forwarder may give up and the test read the count
              // before this thread runs again
              resets.incrementAndGet();
              s.setSoLinger(true, 0);
              s.close();
              continue;
            }
            passed.incrementAndGet();
            Socket r = new Socket(InetAddress.getLoopbackAddress(), relayPort);
            pipe(s, r);
            pipe(r, s);
          } catch (IOException e) {
            return;
          }
        }
      }, "test-front-accept");
      t.setDaemon(true);
      t.start();
    }

    void resetNext(int n) {
      toReset.set(n);
    }

    int port() {
      return server.getLocalPort();
    }

    private static void pipe(Socket from, Socket to) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[16 * 1024];
        try {
          InputStream in = from.getInputStream();
          OutputStream out = to.getOutputStream();
          int n;
          while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
          }
          to.shutdownOutput();
        } catch (IOException e) {
          try {
            to.setSoLinger(true, 0);
            to.close();
          } catch (IOException ignored) {
            // closed already
          }
        }
      }, "test-front-pipe");
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
