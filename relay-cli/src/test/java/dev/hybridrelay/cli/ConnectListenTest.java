package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hybridrelay connect} and {@code listen} as real child processes, with real standard input
 * and output, against the local relay.
 */
class ConnectListenTest {
  private static final int SIZE = 8 << 20;
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static LocalRelayServer relay;
  private static String cs;

  @TempDir
  Path dir;

  @BeforeAll
  static void startRelay() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule("cli", KEY).autoCreate(true).build().start();
    cs = relay.connectionString("cli");
  }

  @AfterAll
  static void stopRelay() {
    relay.shutdown(Duration.ofSeconds(1));
  }

  @Test
  @Timeout(180)
  void listenEchoSends8MiBBackToConnectByteExact() throws Exception {
    Path data = random("data.bin", SIZE, 1);
    try (CliProcess listen = CliProcess.start(dir, "listen", null, "listen", "-x", cs, "--hc", "echo-8m", "--echo")) {
      listen.awaitStderr("Listening on hybrid connection 'echo-8m'", WAIT);
      try (CliProcess connect = CliProcess.start(dir, "connect", data, "connect", "-x", cs, "--hc", "echo-8m")) {
        assertThat(connect.waitFor(WAIT)).as(connect.stderr()).isZero();
        assertThat(Files.size(connect.out)).isEqualTo(SIZE);
        assertThat(sha256(connect.out)).isEqualTo(sha256(data));
        assertThat(connect.stderr()).isEmpty();
      }
      listen.awaitStderr("ended: echoed " + SIZE + " bytes", WAIT);
      assertThat(Files.size(listen.out)).as("listen --echo writes nothing to standard output").isZero();
    }
  }

  @Test
  @Timeout(180)
  void connectHalfClosesAtEndOfInputAndListenStillSendsBack() throws Exception {
    Path toListener = random("to-listener.bin", SIZE, 2);
    byte[] back = bytes(SIZE, 3);
    try (CliProcess listen = CliProcess.start(dir, "listen", null, "listen", "-x", cs, "--hc", "half-1")) {
      listen.awaitStderr("Listening on hybrid connection 'half-1'", WAIT);
      try (CliProcess connect = CliProcess.start(dir, "connect", toListener, "connect", "-x", cs, "--hc", "half-1")) {
        // connect's input ends: listen sees the end of the stream while its own input is still open ...
        listen.awaitStderr("Connection 1: the peer ended its side after sending " + SIZE + " bytes", WAIT);
        assertThat(sha256(listen.out)).isEqualTo(sha256(toListener));
        assertThat(connect.process.isAlive()).as("connect waits for the peer's side").isTrue();
        // ... and can still send: 8 MiB go back to connect after its half-close.
        try (OutputStream in = listen.stdin()) {
          in.write(back);
        }
        assertThat(connect.waitFor(WAIT)).as(connect.stderr()).isZero();
        assertThat(sha256(connect.out)).isEqualTo(sha256(back));
      }
      listen.awaitStderr("Connection 1 ended: received " + SIZE + " bytes, sent " + SIZE + " bytes", WAIT);
    }
  }

  @Test
  @Timeout(180)
  void listenHalfClosesAtEndOfInputAndConnectStillSends() throws Exception {
    Path fromListener = random("from-listener.bin", 1 << 20, 4);
    byte[] toListener = bytes(SIZE, 5);
    try (CliProcess listen = CliProcess.start(dir, "listen", fromListener, "listen", "-x", cs, "--hc", "half-2")) {
      listen.awaitStderr("Listening on hybrid connection 'half-2'", WAIT);
      try (CliProcess connect = CliProcess.start(dir, "connect", null, "connect", "-x", cs, "--hc", "half-2", "-v")) {
        connect.awaitStderr("The peer ended its side after sending " + (1 << 20) + " bytes", WAIT);
        assertThat(sha256(connect.out)).isEqualTo(sha256(fromListener));
        try (OutputStream in = connect.stdin()) {
          in.write(toListener);
        }
        assertThat(connect.waitFor(WAIT)).as(connect.stderr()).isZero();
      }
      listen.awaitStderr("Connection 1 ended: received " + SIZE + " bytes, sent " + (1 << 20) + " bytes", WAIT);
      assertThat(sha256(listen.out)).isEqualTo(sha256(toListener));
    }
  }

  @Test
  @Timeout(120)
  void listenEchoServesSeveralConnectionsAtOnce() throws Exception {
    try (CliProcess listen = CliProcess.start(dir, "listen", null, "listen", "-x", cs, "--hc", "echo-many", "--echo")) {
      listen.awaitStderr("Listening on hybrid connection 'echo-many'", WAIT);
      RelaySender sender = RelaySender.builder(cs).entityPath("echo-many").build();
      List<RelayConnection> open = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          open.add(sender.connect());
        }
        // All three are open at once; each is echoed while the others stay open.
        for (int round = 0; round < 2; round++) {
          for (int i = 0; i < open.size(); i++) {
            byte[] msg = bytes(100_000 + i, 10 * round + i);
            RelayConnection c = open.get(i);
            c.setReadTimeout(Duration.ofSeconds(60));
            c.getOutputStream().write(msg);
            assertThat(c.getInputStream().readNBytes(msg.length)).isEqualTo(msg);
          }
        }
        for (RelayConnection c : open) {
          c.shutdownOutput();
          assertThat(c.getInputStream().read()).isEqualTo(-1);
        }
      } finally {
        for (RelayConnection c : open) {
          c.close();
        }
      }
      listen.awaitStderr("Connection 3 ended: echoed", WAIT);
    }
  }

  @Test
  @Timeout(180)
  void portNameReachesAForwardTarget() throws Exception {
    try (ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread echo = new Thread(() -> {
        while (!target.isClosed()) {
          try (Socket s = target.accept()) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            in.transferTo(out);
            s.shutdownOutput();
          } catch (Exception ignored) {
            // the client side asserts
          }
        }
      }, "test-echo-target");
      echo.setDaemon(true);
      echo.start();
      Path data = random("data.bin", 1 << 20, 6);
      try (CliProcess forward = CliProcess.start(dir, "forward", null, "forward", "-x", cs,
          "-T", "fwd-t:web/127.0.0.1:" + target.getLocalPort(), "--status-interval", "0")) {
        await().atMost(WAIT).until(() -> relay.listenerCount("fwd-t") == 1);
        try (CliProcess connect = CliProcess.start(dir, "connect", data, "connect", "-x", cs, "--hc", "fwd-t",
            "--port-name", "web")) {
          assertThat(connect.waitFor(WAIT)).as(connect.stderr()).isZero();
          assertThat(sha256(connect.out)).isEqualTo(sha256(data));
        }
        try (CliProcess wrong = CliProcess.start(dir, "wrong", data, "connect", "-x", cs, "--hc", "fwd-t",
            "--port-name", "db")) {
          assertThat(wrong.waitFor(WAIT)).isEqualTo(ExitCodes.REFUSED);
          assertThat(wrong.stderr().trim()).startsWith("hybridrelay connect: the forwarder on hybrid connection "
              + "'fwd-t' refused port name 'db'").doesNotContain("\n");
          assertThat(Files.size(wrong.out)).isZero();
        }
      }
    }
  }

  @Test
  @Timeout(120)
  void sigtermClosesTheListenerAndItsConnectionCleanly() throws Exception {
    try (CliProcess listen = CliProcess.start(dir, "listen", null, "listen", "-x", cs, "--hc", "term-1")) {
      listen.awaitStderr("Listening on hybrid connection 'term-1'", WAIT);
      assertThat(relay.listenerCount("term-1")).isEqualTo(1);
      try (RelayConnection c = RelaySender.builder(cs).entityPath("term-1").build().connect()) {
        c.getOutputStream().write("hello".getBytes());
        await().atMost(WAIT).until(() -> Files.size(listen.out) == 5);
        listen.process.destroy(); // SIGTERM
        assertThat(listen.waitFor(WAIT)).isEqualTo(143);
        c.setReadTimeout(Duration.ofSeconds(60));
        assertThat(c.getInputStream().read()).as("the connection ends cleanly").isEqualTo(-1);
        assertThat(c.closeStatus()).hasValueSatisfying(s -> assertThat(s.clean()).isTrue());
      }
      await().atMost(WAIT).until(() -> relay.listenerCount("term-1") == 0);
      assertThat(listen.stderr()).doesNotContain("Exception").doesNotContain(KEY);
    }
  }

  private Path random(String name, int size, long seed) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, bytes(size, seed));
    return p;
  }

  private static byte[] bytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String sha256(Path p) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
