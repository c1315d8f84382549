package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayCloseStatus;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.it.support.RawListenerSide;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.socket.RelayServerSocket;
import dev.hybridrelay.socket.RelaySocket;
import dev.hybridrelay.testkit.RawWebSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The close-code rule as the sockets and the forwarders inherit it from the core connection: a peer
 * that answers our Close (our {@code shutdownOutput}) with 1001 after it has echoed everything, as
 * the official Java SDK's listener does, ends the input cleanly: -1, no exception; a forwarder then
 * half-closes its TCP side with a FIN, not a reset.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class CloseCodeRuleTest {
  static final Duration T = Duration.ofSeconds(30);
  RelayFixture relay;

  @BeforeAll
  void start() throws IOException {
    relay = RelayFixture.start();
  }

  @AfterAll
  void stop() {
    relay.close();
  }

  /**
   * A listener side that echoes every connection's data (after an azbridge preamble if {@code
   * preamble}) and answers the sender's Close with Close 1001 "Shutdown"; counts connections whose
   * echo completed.
   */
  CompletableFuture<Void> echoAndAnswer1001(String entity, int connections, boolean preamble, AtomicInteger answered) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    CompletableFuture<RawListenerSide> side = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (RawListenerSide s = new RawListenerSide(relay.listenUri(entity), null, T)) {
        side.complete(s);
        for (int i = 0; i < connections; i++) {
          RawWebSocket rv = s.acceptNext();
          try {
            if (preamble) {
              ByteArrayOutputStream pre = new ByteArrayOutputStream();
              while (pre.size() < 4 || pre.size() < 4 + (pre.toByteArray()[3] & 0xFF)) {
                RawWebSocket.Frame f = rv.readFrame(T);
                if (f.opcode() == RawWebSocket.OP_BINARY || f.opcode() == RawWebSocket.OP_CONTINUATION) {
                  pre.write(f.payload());
                }
              }
              rv.sendFrame(true, RawWebSocket.OP_BINARY, true, new byte[] {1, 0, 0});
            }
            while (true) {
              RawWebSocket.Frame f = rv.readFrame(T);
              if (f.opcode() == RawWebSocket.OP_BINARY || f.opcode() == RawWebSocket.OP_TEXT) {
                rv.sendFrame(true, RawWebSocket.OP_BINARY, true, f.payload());
              } else if (f.opcode() == RawWebSocket.OP_CLOSE) {
                rv.sendClose(1001, f.closeReason());
                answered.incrementAndGet();
                break;
              }
            }
            RawListenerSide.tcpEnds(rv, T);
          } finally {
            rv.close();
          }
        }
        done.complete(null);
      } catch (Throwable e) {
        side.completeExceptionally(e);
        done.completeExceptionally(e);
      }
    }, "raw-listener-" + entity);
    t.setDaemon(true);
    t.start();
    side.join();
    relay.awaitListeners(entity, 1, T);
    return done;
  }

  @Test
  void aRelaySocketReadsEndOfStreamWhenThePeerAnswers1001AfterEchoing() throws Exception {
    int n = 200;
    AtomicInteger answered = new AtomicInteger();
    CompletableFuture<Void> peer = echoAndAnswer1001("socket-1001", n, false, answered);
    Random random = new Random(1806);
    int clean = 0;
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] data = new byte[1 + random.nextInt(32 * 1024)];
      random.nextBytes(data);
      try (RelaySocket s = new RelaySocket(relay.connectionString("socket-1001"))) {
        s.getOutputStream().write(data);
        s.shutdownOutput(); // Close 1000 "Shutdown"; the peer echoes, then answers 1001
        byte[] back = s.getInputStream().readAllBytes();
        int end = s.getInputStream().read();
        if (Arrays.equals(back, data) && end == -1
            && s.getCloseStatus().map(RelayCloseStatus::clean).orElse(false)
            && s.getCloseStatus().get().code() == 1001) {
          clean++;
        }
      } catch (IOException e) {
        failures.add(e);
      }
    }
    peer.get(30, TimeUnit.SECONDS);
    assertThat(failures).isEmpty();
    assertThat(clean).isEqualTo(n);
    assertThat(answered.get()).isEqualTo(n);
  }

  @Test
  void aRelayServerSocketsSocketReadsEndOfStreamWhenTheSenderAnswers1001() throws Exception {
    int n = 50;
    int size = 20_000;
    Random random = new Random(1809);
    int clean = 0;
    try (RelayServerSocket server = new RelayServerSocket(relay.connectionString("server-1001"))) {
      relay.awaitListeners("server-1001", 1, T);
      for (int i = 0; i < n; i++) {
        URI u = relay.senderUri("server-1001");
        RawWebSocket sender = RawWebSocket.connect(u, null, T);
        try {
          assertThat(sender.handshake(u.getRawPath() + "?" + u.getRawQuery(), Map.of()).status()).isEqualTo(101);
          byte[] data = new byte[size];
          random.nextBytes(data);
          sender.sendFrame(true, RawWebSocket.OP_BINARY, true, data);
          try (Socket s = server.accept()) {
            byte[] got = s.getInputStream().readNBytes(size);
            s.getOutputStream().write(got);
            s.shutdownOutput(); // Close 1000 "Shutdown"
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            RawWebSocket.Frame close = RawListenerSide.readUntilClose(sender, back, T);
            sender.sendClose(1001, close.closeReason()); // the SDK's answer
            int end = s.getInputStream().read(); // -1, not "Connection reset"
            if (end == -1 && Arrays.equals(back.toByteArray(), data) && close.closeCode() == 1000) {
              clean++;
            }
          }
          RawListenerSide.tcpEnds(sender, T);
        } finally {
          sender.close();
        }
      }
    }
    assertThat(clean).isEqualTo(n);
  }

  @Test
  void aLocalForwarderHalfClosesItsClientCleanlyWhenThePeerAnswers1001() throws Exception {
    int n = 50;
    AtomicInteger answered = new AtomicInteger();
    CompletableFuture<Void> peer = echoAndAnswer1001("forward-1001", n, true, answered);
    Random random = new Random(1807);
    int clean = 0;
    try (LocalForwarder local = LocalForwarder.builder(relay.connectionString("forward-1001"))
        .portName("echo").port(0).build()) {
      local.start();
      for (int i = 0; i < n; i++) {
        byte[] data = new byte[1 + random.nextInt(32 * 1024)];
        random.nextBytes(data);
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), local.localPort())) {
          client.setSoTimeout((int) T.toMillis());
          client.getOutputStream().write(data);
          client.shutdownOutput(); // forwarder: Close 1000 "Shutdown" to the peer
          byte[] back = client.getInputStream().readAllBytes(); // a reset would throw here
          if (Arrays.equals(back, data)) {
            clean++;
          }
        }
      }
    }
    peer.get(30, TimeUnit.SECONDS);
    assertThat(clean).isEqualTo(n);
    assertThat(answered.get()).isEqualTo(n);
  }

  @Test
  void aRemoteForwarderHalfClosesItsTargetCleanlyWhenTheSenderAnswers1001() throws Exception {
    int n = 20;
    int size = 10_000;
    AtomicInteger cleanEof = new AtomicInteger();
    AtomicInteger resets = new AtomicInteger();
    try (ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread server = new Thread(() -> {
        for (int i = 0; i < n; i++) {
          try (Socket c = target.accept()) {
            c.setSoTimeout((int) T.toMillis());
            InputStream in = c.getInputStream();
            byte[] got = in.readNBytes(size);
            c.getOutputStream().write(got);
            c.shutdownOutput(); // forwarder: Close 1000 "Shutdown" to the sender
            if (in.read() == -1) {
              cleanEof.incrementAndGet();
            }
          } catch (IOException e) {
            resets.incrementAndGet();
          }
        }
      }, "tcp-target");
      server.setDaemon(true);
      server.start();
      RemoteForwarder remote = RemoteForwarder.builder(relay.connectionString("remote-1001"))
          .target("echo", "127.0.0.1", target.getLocalPort()).build();
      remote.start();
      try {
        relay.awaitListeners("remote-1001", 1, T);
        Random random = new Random(1808);
        int echoed = 0;
        for (int i = 0; i < n; i++) {
          URI u = relay.senderUri("remote-1001");
          RawWebSocket sender = RawWebSocket.connect(u, null, T);
          try {
            assertThat(sender.handshake(u.getRawPath() + "?" + u.getRawQuery(), Map.of()).status()).isEqualTo(101);
            byte[] name = "echo".getBytes(StandardCharsets.UTF_8);
            sender.sendFrame(true, RawWebSocket.OP_BINARY, true, new byte[] {1, 0, 0, (byte) name.length});
            sender.sendFrame(true, RawWebSocket.OP_BINARY, true, name);
            byte[] data = new byte[size];
            random.nextBytes(data);
            sender.sendFrame(true, RawWebSocket.OP_BINARY, true, data);
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            RawWebSocket.Frame close = RawListenerSide.readUntilClose(sender, back, T);
            assertThat(close.closeCode()).isEqualTo(1000);
            byte[] all = back.toByteArray();
            assertThat(Arrays.copyOfRange(all, 0, 3)).containsExactly(1, 0, 0);
            if (Arrays.equals(Arrays.copyOfRange(all, 3, all.length), data)) {
              echoed++;
            }
            sender.sendClose(1001, close.closeReason()); // as the SDK's peer answers
            RawListenerSide.tcpEnds(sender, T);
          } finally {
            sender.close();
          }
        }
        server.join(T.toMillis());
        assertThat(echoed).isEqualTo(n);
        assertThat(resets.get()).isZero();
        assertThat(cleanEof.get()).isEqualTo(n);
      } finally {
        remote.close();
      }
    }
  }
}
