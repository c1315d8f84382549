package dev.hybridrelay.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.testkit.Payloads;
import dev.hybridrelay.testkit.UnixPeers;
import java.io.IOException;
import java.net.BindException;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unix domain sockets on either side of the relay, with real peers: a {@code python3} echo service
 * on a socket file behind {@code -T hc:/path/app.sock}, and TCP services reached through
 * {@code -L /path/app.sock:hc}. Also the socket file's life: stale files, files in use, paths too
 * long, permissions, removal at close.
 */
class UnixSocketForwardingTest {
  private static final String RULE = "unix";
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static final AtomicInteger HCS = new AtomicInteger();
  private static LocalRelayServer relay;

  @TempDir
  Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<ForwardFailure> refused = new CopyOnWriteArrayList<>();
  private final ForwardEvents events = new ForwardEvents() {
    @Override
    public void onRefused(ForwardFailure failure) {
      refused.add(failure);
    }
  };

  @BeforeAll
  static void startRelay() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true).build().start();
  }

  @AfterAll
  static void stopRelay() {
    relay.shutdown(Duration.ofSeconds(1));
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T c) {
    closeables.add(c);
    return c;
  }

  private String cs(String hc) {
    return relay.connectionString(RULE, hc);
  }

  private static String hc() {
    return "unix-" + HCS.incrementAndGet();
  }

  @Test
  @Timeout(120)
  void tcpClientReachesAPythonUnixSocketServiceThroughANumericPortName() throws Exception {
    UnixPeers.EchoService echo = track(new UnixPeers.EchoService(dir.resolve("app.sock")));
    String hc = hc();
    // -T hc:/path/app.sock: one target, so the lone-target rule lets "-L 18080:hc" reach it
    RemoteForwarder remote = track(RemoteForwarder.builder(cs(hc)).events(events)
        .unixSocketTarget(echo.path.toString(), echo.path).build());
    remote.start();
    LocalForwarder local = track(LocalForwarder.builder(cs(hc)).portName("18080").events(events).build());
    local.start();
    byte[] data = Payloads.bytes(Payloads.seed("unix-tcp-to-socket"), 8 << 20);
    try (Socket s = TcpPeers.connect(local.localPort())) {
      s.setSoTimeout(60_000);
      byte[] got = UnixPeers.exchange(s.getInputStream(), s.getOutputStream(), () -> {
        try {
          s.shutdownOutput();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, data);
      assertThat(got.length).isEqualTo(data.length);
      assertThat(Payloads.digest(got)).isEqualTo(Payloads.digest(data));
    }
    assertThat(refused).isEmpty();
    await().atMost(Duration.ofSeconds(10)).until(() -> remote.stats().totalConnections() == 1
        && remote.stats().activeConnections() == 0);
  }

  @Test
  @Timeout(120)
  void unixSocketClientReachesATcpServiceAndTheFileIsRemovedAtClose() throws Exception {
    TcpPeers.Server echo = track(TcpPeers.echo());
    String hc = hc();
    RemoteForwarder remote = track(RemoteForwarder.builder(cs(hc)).events(events)
        .target("web", "127.0.0.1", echo.port()).build());
    remote.start();
    Path sock = dir.resolve("web.sock");
    LocalForwarder local = track(LocalForwarder.builder(cs(hc)).unixSocket(sock).portName("web").events(events)
        .build());
    local.start();
    assertThat(local.localAddress()).isNull();
    assertThat(local.unixSocket()).isEqualTo(sock);
    assertThat(Files.exists(sock)).isTrue();
    byte[] data = Payloads.bytes(Payloads.seed("unix-socket-to-tcp"), 8 << 20);
    try (SocketChannel c = UnixPeers.connect(sock)) {
      byte[] got = UnixPeers.exchange(c, data);
      assertThat(got.length).isEqualTo(data.length);
      assertThat(Payloads.digest(got)).isEqualTo(Payloads.digest(data));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> local.stats().totalConnections() == 1
        && local.stats().activeConnections() == 0);
    assertThat(echo.accepted.get()).isEqualTo(1);
    local.close();
    assertThat(Files.exists(sock)).as("socket file removed at close").isFalse();
  }

  @Test
  @Timeout(120)
  void unixSocketToUnixSocketWithTheDefaultPortNames() throws Exception {
    UnixPeers.EchoService echo = track(new UnixPeers.EchoService(dir.resolve("svc.sock")));
    String hc = hc();
    Path front = dir.resolve("front.sock");
    // two targets: exact names; the local forwarder's default port name is its path as written
    RemoteForwarder remote = track(RemoteForwarder.builder(cs(hc)).events(events)
        .unixSocketTarget(front.toString(), echo.path).target("other", "127.0.0.1", 9).build());
    remote.start();
    LocalForwarder local = track(LocalForwarder.builder(cs(hc)).unixSocket(front).events(events).build());
    local.start();
    assertThat(local.portName()).isEqualTo(front.toString());
    try (SocketChannel c = UnixPeers.connect(front)) {
      byte[] got = UnixPeers.exchange(c, "both ends are sockets".getBytes(StandardCharsets.UTF_8));
      assertThat(new String(got, StandardCharsets.UTF_8)).isEqualTo("both ends are sockets");
    }
  }

  @Test
  @Timeout(60)
  void aStaleSocketFileIsReplaced() throws Exception {
    Path sock = dir.resolve("stale.sock");
    ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    crashed.bind(UnixDomainSocketAddress.of(sock));
    crashed.close(); // the file stays, as after a crash; nothing accepts on it
    assertThat(Files.exists(sock)).isTrue();
    LocalForwarder local = track(LocalForwarder.builder(cs(hc())).unixSocket(sock).build());
    local.start();
    try (SocketChannel c = UnixPeers.connect(sock)) {
      assertThat(c.isConnected()).isTrue();
    }
  }

  @Test
  @Timeout(60)
  void aSocketFileInUseIsRefusedAndLeftAlone() throws Exception {
    UnixPeers.EchoService live = track(new UnixPeers.EchoService(dir.resolve("live.sock")));
    LocalForwarder local = track(LocalForwarder.builder(cs(hc())).unixSocket(live.path).build());
    assertThatThrownBy(local::start).isInstanceOf(BindException.class)
        .hasMessageContaining(live.path.toString()).hasMessageContaining("in use");
    try (SocketChannel c = UnixPeers.connect(live.path)) {
      assertThat(new String(UnixPeers.exchange(c, "still served".getBytes(StandardCharsets.UTF_8)),
          StandardCharsets.UTF_8)).isEqualTo("still served");
    }
  }

  @Test
  @Timeout(60)
  void aFileThatIsNotASocketIsNeverReplaced() throws Exception {
    Path file = dir.resolve("data.sock");
    Files.writeString(file, "precious");
    LocalForwarder local = track(LocalForwarder.builder(cs(hc())).unixSocket(file).build());
    assertThatThrownBy(local::start).isInstanceOf(BindException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("is not a socket");
    assertThat(Files.readString(file)).isEqualTo("precious");
  }

  @Test
  void aPathTooLongIsRefusedNamingThePathAndTheLimit() {
    Path longPath = dir.resolve("x".repeat(120) + ".sock");
    assertThatThrownBy(() -> LocalForwarder.builder(cs(hc())).unixSocket(longPath))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(longPath.toString())
        .hasMessageContaining("the limit is 10"); // 107 on Linux, 103 elsewhere
    assertThatThrownBy(() -> ForwardTarget.unixSocket("app", longPath))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sun_path");
  }

  @Test
  @Timeout(60)
  void socketPermissionsAreSetBeforeTheFirstAccept() throws Exception {
    Path sock = dir.resolve("private.sock");
    LocalForwarder local = track(LocalForwarder.builder(cs(hc())).unixSocket(sock)
        .socketPermissions(PosixFilePermissions.fromString("rw-rw----")).build());
    local.start();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-rw----");
  }

  @Test
  @Timeout(60)
  void aMissingTargetSocketIsAFailureNamingThePath() throws Exception {
    Path missing = dir.resolve("gone.sock");
    String hc = hc();
    RemoteForwarder remote = track(RemoteForwarder.builder(cs(hc)).events(events)
        .unixSocketTarget("app", missing).build());
    remote.start();
    LocalForwarder local = track(LocalForwarder.builder(cs(hc)).portName("app").build());
    local.start();
    // The failure is a reset; it may arrive while connecting, writing or reading.
    assertThatThrownBy(() -> {
      try (Socket s = TcpPeers.connect(local.localPort())) {
        s.getOutputStream().write('x');
        if (s.getInputStream().read() < 0) {
          throw new SocketException("EOF");
        }
      }
    }).isInstanceOf(SocketException.class);
    await().atMost(Duration.ofSeconds(10)).until(() -> !refused.isEmpty());
    assertThat(refused.get(0).message()).contains("could not connect to the target of port name 'app'")
        .contains("unix:" + missing);
  }
}
