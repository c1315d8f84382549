package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.core.ListenerState;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelayListenerEvents;
import dev.hybridrelay.core.RelayProxy;
import dev.hybridrelay.core.RelayProxyException;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.it.support.EchoListener;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.it.support.Scenarios;
import dev.hybridrelay.it.support.TcpEcho;
import dev.hybridrelay.it.support.Transfers;
import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.socket.RelaySocketFactory;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.testkit.Payloads;
import dev.hybridrelay.testkit.SquidProxy;
import java.io.IOException;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * N1–N7: every client path through a real Squid ({@link SquidProxy}: Basic authentication, CONNECT
 * to the relay's port only), over ws and wss; failures (wrong password, no credentials, refused
 * port, proxy down) give errors naming the proxy, and a listener rides them out with backoff.
 * Skipped with a message when Squid is not installed, unless {@code CI} is set (then it fails).
 */
class ProxyScenariosTest {
  static final String USER = "alice";
  /** A recognizable password: it must never show up in a log line or an exception message. */
  static final String PASSWORD = "ProxyCanaryPw-Qz81Xv";
  static final long BIG = 64L << 20;

  static Path keystore;

  @BeforeAll
  static void requireSquid() throws Exception {
    String missing = SquidProxy.unavailableReason();
    if (missing != null) {
      if (System.getenv("CI") != null) {
        throw new AssertionError("CI is set but the proxy scenarios cannot run: " + missing);
      }
      Assumptions.abort("Skipping the Squid proxy scenarios: " + missing);
    }
    Path dir = Files.createDirectories(Path.of("target", "proxy-tls"));
    keystore = TlsScenariosTest.keystore(dir, "relay", "CN=localhost", "dns:localhost,ip:127.0.0.1", null, 2);
  }

  static RelayFixture relay(boolean tls) throws IOException {
    return RelayFixture.start(tls ? b -> b.tls(keystore, TlsScenariosTest.PASSWORD) : UnaryOperator.identity());
  }

  static SSLContext trust(boolean tls) throws Exception {
    return tls ? TlsScenariosTest.trusting(keystore) : null;
  }

  static SquidProxy squid(int... ports) throws Exception {
    return SquidProxy.builder().user(USER, PASSWORD).allowPort(ports).start();
  }

  static long tunnels(SquidProxy squid, int relayPort) throws IOException {
    return squid.accessLog().stream()
        .filter(l -> l.contains("CONNECT localhost:" + relayPort) && l.contains("TCP_TUNNEL/200")).count();
  }

  /** Writes {@code length} seeded bytes to {@code s}, half-closes, reads the echo to EOF. */
  static Transfers.Result socketEcho(Socket s, long seed, long length) throws Exception {
    CompletableFuture<Payloads.Digest> w = CompletableFuture.supplyAsync(() -> {
      try {
        Payloads.Digest d = Payloads.write(s.getOutputStream(), seed, length,
            Payloads.logUniform(1, 256 * 1024, seed ^ 1));
        s.shutdownOutput();
        return d;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    Payloads.Digest r = Payloads.read(s.getInputStream(), Payloads.logUniform(1, 256 * 1024, seed ^ 2));
    return new Transfers.Result(w.get(300, TimeUnit.SECONDS), r);
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  @Timeout(600)
  void n1ListenerSenderAndRelaySocketThroughSquid(boolean tls) throws Exception {
    try (RelayFixture relay = relay(tls); SquidProxy squid = squid(relay.port())) {
      RelayProxy px = RelayProxy.parse(squid.url(USER, PASSWORD));
      SSLContext ctx = trust(tls);
      String cs = relay.connectionString("n1");
      try (EchoListener echo = EchoListener.open(cs, b -> {
        b.proxy(px);
        if (ctx != null) {
          b.sslContext(ctx);
        }
      })) {
        relay.awaitListeners("n1", 1, Duration.ofSeconds(30));
        RelaySender.Builder sb = RelaySender.builder(cs).proxy(px).connectTimeout(Duration.ofSeconds(60));
        if (ctx != null) {
          sb.sslContext(ctx);
        }
        Transfers.Result sender;
        try (RelayConnection c = sb.build().connect()) {
          sender = Transfers.echo(c, Payloads.seed("n1-sender"), BIG, 300);
        }
        RelaySocketFactory f = RelaySocketFactory.builder(dev.hybridrelay.core.RelayConnectionString.parse(cs))
            .senderOptions(b -> {
              b.proxy(px);
              if (ctx != null) {
                b.sslContext(ctx);
              }
            }).build();
        Transfers.Result socket;
        try (Socket s = f.createSocket("n1", 1)) {
          socket = socketEcho(s, Payloads.seed("n1-socket"), BIG);
        }
        // listener control channel + 2 rendezvous + 2 sender connections, all tunnelled
        await().atMost(Duration.ofSeconds(60)).until(() -> tunnels(squid, relay.port()) >= 4);
        Scenarios.record("N1", sender.intact() && socket.intact() ? "PASS" : "FAIL", "tls=" + tls
            + " bytes=" + BIG + " sender_sha256=" + sender.received().sha256Hex().substring(0, 16)
            + " socket_sha256=" + socket.received().sha256Hex().substring(0, 16)
            + " squid_tunnels=" + tunnels(squid, relay.port()));
        assertThat(sender.intact()).as("sender echo through Squid").isTrue();
        assertThat(socket.intact()).as("RelaySocket echo through Squid").isTrue();
        assertThat(sender.received().length()).isEqualTo(BIG);
      }
      // the listener's own control channel shows up once it closed
      await().atMost(Duration.ofSeconds(60)).until(() -> tunnels(squid, relay.port()) >= 5);
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  @Timeout(600)
  void n2ForwardersThroughSquid(boolean tls) throws Exception {
    try (RelayFixture relay = relay(tls); SquidProxy squid = squid(relay.port()); TcpEcho target = TcpEcho.start()) {
      RelayProxy px = RelayProxy.parse(squid.url(USER, PASSWORD));
      SSLContext ctx = trust(tls);
      String cs = relay.connectionString("n2");
      RemoteForwarder remote = RemoteForwarder.builder(cs).hybridConnection("n2").target("echo", "127.0.0.1", target.port())
          .listenerCustomizer(b -> {
            b.proxy(px);
            if (ctx != null) {
              b.sslContext(ctx);
            }
          }).build();
      LocalForwarder local = LocalForwarder.builder(cs).hybridConnection("n2").portName("echo").port(0)
          .senderCustomizer(b -> {
            b.proxy(px);
            if (ctx != null) {
              b.sslContext(ctx);
            }
          }).build();
      try (remote; local) {
        remote.start();
        local.start();
        relay.awaitListeners("n2", 1, Duration.ofSeconds(30));
        Transfers.Result r;
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", local.localPort()), 10_000);
          r = socketEcho(s, Payloads.seed("n2"), BIG);
        }
        Scenarios.record("N2", r.intact() ? "PASS" : "FAIL", "tls=" + tls + " bytes=" + BIG
            + " sha256=" + r.received().sha256Hex().substring(0, 16));
        assertThat(r.intact()).as("-L -> relay -> -T -> echo through Squid").isTrue();
        await().atMost(Duration.ofSeconds(60)).until(() -> tunnels(squid, relay.port()) >= 2);
      }
    }
  }

  /** Records the listener's events. */
  static final class Events implements RelayListenerEvents {
    final List<Throwable> connecting = new CopyOnWriteArrayList<>();
    volatile int online;

    @Override
    public void onConnecting(Throwable cause) {
      if (cause != null) {
        connecting.add(cause);
      }
    }

    @Override
    public void onOnline() {
      online++;
    }
  }

  @Test
  @Timeout(600)
  void n3ProxyOutageWrongPasswordAndRecovery() throws Exception {
    try (RelayFixture relay = relay(false); SquidProxy squid = squid(relay.port())) {
      String cs = relay.connectionString("n3");
      String name = squid.address();
      // no credentials, wrong credentials: clear errors naming the proxy, no password
      try (RelayListener l = RelayListener.builder(cs).proxy(RelayProxy.parse(squid.url(null, null)))
          .operationTimeout(Duration.ofSeconds(30)).build()) {
        assertThatThrownBy(l::open).isInstanceOf(RelayProxyException.class)
            .hasMessageContaining("Proxy " + name + " requires authentication (407")
            .hasMessageContaining("http://user:password@" + name);
      }
      try (RelayListener l = RelayListener.builder(cs).proxy(RelayProxy.parse(squid.url(USER, "wrong-" + PASSWORD)))
          .operationTimeout(Duration.ofSeconds(30)).build()) {
        assertThatThrownBy(l::open).isInstanceOf(RelayProxyException.class)
            .hasMessageContaining("Proxy " + name + " refused the credentials of user 'alice' (407")
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
      }
      // online through Squid; Squid dies and comes back: the listener follows by itself
      Events events = new Events();
      RelayProxy px = RelayProxy.parse(squid.url(USER, PASSWORD));
      try (EchoListener echo = EchoListener.open(cs, b -> b.proxy(px).events(events))) {
        RelayListener l = echo.listener();
        relay.awaitListeners("n3", 1, Duration.ofSeconds(30));
        squid.kill();
        await().atMost(Duration.ofSeconds(60)).until(() -> l.state() == ListenerState.CONNECTING);
        await().atMost(Duration.ofSeconds(60)).until(() -> l.lastError() instanceof RelayProxyException
            && l.lastError().getMessage().contains("Cannot connect to proxy " + name));
        squid.restart();
        await().atMost(Duration.ofSeconds(120)).until(() -> l.state() == ListenerState.ONLINE);
        relay.awaitListeners("n3", 1, Duration.ofSeconds(30));
        assertThat(echoThrough(cs, px)).as("echo after the proxy came back").isTrue();
        // the proxy now refuses our password: 407 is an ordinary reconnect cause, retried with backoff
        squid.users(Map.of(USER, "changed-" + PASSWORD));
        java.util.Set<Throwable> refusals = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        await().atMost(Duration.ofSeconds(120)).until(() -> {
          Throwable e = l.lastError();
          if (e instanceof RelayProxyException && ((RelayProxyException) e).statusCode() == 407) {
            assertThat(e.getMessage()).contains("Proxy " + name + " refused the credentials").doesNotContain(PASSWORD);
            refusals.add(e);
          }
          return refusals.size() >= 2;
        });
        assertThat(l.state()).as("still retrying").isEqualTo(ListenerState.CONNECTING);
        squid.users(Map.of(USER, PASSWORD));
        await().atMost(Duration.ofSeconds(120)).until(() -> l.state() == ListenerState.ONLINE);
        assertThat(echoThrough(cs, px)).as("echo after the password was accepted again").isTrue();
        long refused = refusals.size();
        Scenarios.pass("N3", "reconnect_causes=" + events.connecting.size() + " proxy_407_retries=" + refused
            + " online_events=" + events.online);
        for (Throwable e : events.connecting) {
          assertThat(String.valueOf(e.getMessage())).doesNotContain(PASSWORD);
        }
      }
    }
  }

  static boolean echoThrough(String cs, RelayProxy px) throws Exception {
    try (RelayConnection c = RelaySender.builder(cs).proxy(px).build().connect(Duration.ofSeconds(60))) {
      return Transfers.echo(c, 3, 1 << 20, 120).intact();
    }
  }

  static int deadPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  @Test
  @Timeout(300)
  void n4NoProxyBypass() throws Exception {
    try (RelayFixture relay = relay(false); SquidProxy squid = squid(relay.port())) {
      String cs = relay.connectionString("n4");
      int dead = deadPort();
      try (EchoListener echo = EchoListener.open(cs,
          b -> b.proxy(RelayProxy.http("127.0.0.1", dead).withNoProxy(".example.com, localhost")))) {
        relay.awaitListeners("n4", 1, Duration.ofSeconds(30));
        // the relay host is on the list: straight past the (dead) proxy
        for (String list : List.of("localhost", ".localhost", "*", "example.com,localhost:" + relay.port())) {
          assertThat(echoThrough(cs, RelayProxy.http("127.0.0.1", dead).withNoProxy(list))).as(list).isTrue();
        }
        // not on the list: the dead proxy is used, and the error names it
        for (String list : List.of("", "example.com", "localhost:1", "10.0.0.0/8")) {
          assertThatThrownBy(() -> echoThrough(cs, RelayProxy.http("127.0.0.1", dead).withNoProxy(list)))
              .as(list).isInstanceOf(RelayProxyException.class)
              .hasMessageContaining("Cannot connect to proxy 127.0.0.1:" + dead);
        }
        // a real proxy with a bypass: nothing goes through Squid
        assertThat(echoThrough(cs, RelayProxy.parse(squid.url(USER, PASSWORD)).withNoProxy("localhost"))).isTrue();
        assertThat(echoThrough(cs, RelayProxy.parse(squid.url(USER, PASSWORD)))).isTrue();
        await().atMost(Duration.ofSeconds(60)).until(() -> tunnels(squid, relay.port()) >= 1);
        assertThat(tunnels(squid, relay.port())).isEqualTo(1);
        Scenarios.pass("N4", "bypass_lists=4 proxied_lists=4 squid_tunnels=" + tunnels(squid, relay.port()));
      }
    }
  }

  @Test
  @Timeout(300)
  void n5ProxyRefusingThePort() throws Exception {
    try (RelayFixture relay = relay(false); SquidProxy squid = squid(deadPort())) {
      String cs = relay.connectionString("n5");
      RelayProxy px = RelayProxy.parse(squid.url(USER, PASSWORD));
      try (RelayListener l = RelayListener.builder(cs).proxy(px).operationTimeout(Duration.ofSeconds(30)).build()) {
        assertThatThrownBy(l::open).isInstanceOf(RelayProxyException.class)
            .hasMessageContaining("Proxy " + squid.address() + " refused the tunnel to localhost:" + relay.port())
            .hasMessageContaining("403")
            .satisfies(e -> assertThat(((RelayProxyException) e).statusCode()).isEqualTo(403));
      }
      assertThatThrownBy(() -> echoThrough(cs, px)).isInstanceOf(RelayProxyException.class)
          .hasMessageContaining(squid.address()).hasMessageContaining("403");
      Scenarios.pass("N5", "listener=403 sender=403");
    }
  }

  @Test
  @Timeout(300)
  void n6JdkProxySelectorAndAuthenticator() throws Exception {
    try (RelayFixture relay = relay(false); SquidProxy squid = squid(relay.port())) {
      String cs = relay.connectionString("n6");
      ProxySelector before = ProxySelector.getDefault();
      Authenticator auth = Authenticator.getDefault();
      List<URI> asked = new CopyOnWriteArrayList<>();
      ProxySelector.setDefault(new ProxySelector() {
        @Override
        public List<Proxy> select(URI uri) {
          asked.add(uri);
          if (uri.getPort() == relay.port()) {
            return List.of(new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", squid.port())));
          }
          return List.of(Proxy.NO_PROXY);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        }
      });
      Authenticator.setDefault(new Authenticator() {
        @Override
        protected PasswordAuthentication getPasswordAuthentication() {
          return getRequestorType() == RequestorType.PROXY
              ? new PasswordAuthentication(USER, PASSWORD.toCharArray()) : null;
        }
      });
      try (EchoListener echo = EchoListener.open(cs)) {
        relay.awaitListeners("n6", 1, Duration.ofSeconds(30));
        try (RelayConnection c = RelaySender.builder(cs).build().connect(Duration.ofSeconds(60))) {
          assertThat(Transfers.echo(c, 6, 1 << 20, 120).intact()).isTrue();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> tunnels(squid, relay.port()) >= 2);
        // the explicit option wins over the selector
        assertThat(echoThrough(cs, RelayProxy.none())).isTrue();
      } finally {
        ProxySelector.setDefault(before);
        Authenticator.setDefault(auth);
      }
      assertThat(asked).anyMatch(u -> u.getScheme().equals("http") && u.getHost().equals("localhost"));
      Scenarios.pass("N6", "selector_queries=" + asked.size() + " squid_tunnels=" + tunnels(squid, relay.port()));
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  @Timeout(300)
  void n6JdkProxyProperties(boolean tls) throws Exception {
    try (RelayFixture relay = relay(tls);
        SquidProxy squid = SquidProxy.builder().noAuthentication().allowPort(relay.port()).start()) {
      String cs = relay.connectionString("n6p");
      String scheme = tls ? "https" : "http";
      try (EchoListener echo = EchoListener.open(cs, b -> {
        b.proxy(RelayProxy.none());
        if (tls) {
          try {
            b.sslContext(trust(true));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      })) {
        relay.awaitListeners("n6p", 1, Duration.ofSeconds(30));
        List<String> jvm = new java.util.ArrayList<>(List.of("-Xmx128m",
            "-D" + scheme + ".proxyHost=127.0.0.1", "-D" + scheme + ".proxyPort=" + squid.port(),
            // the JDK always excludes localhost unless the exception list is set and empty
            "-Dhttp.nonProxyHosts="));
        if (tls) {
          jvm.add("-Djavax.net.ssl.trustStore=" + keystore.toAbsolutePath());
          jvm.add("-Djavax.net.ssl.trustStorePassword=" + new String(TlsScenariosTest.PASSWORD));
          jvm.add("-Djavax.net.ssl.trustStoreType=PKCS12");
        }
        try (dev.hybridrelay.it.support.ChildJvm child = dev.hybridrelay.it.support.ChildJvm.start(
            dev.hybridrelay.it.support.SystemProxySenderMain.class, "n6-child.log", jvm, cs)) {
          assertThat(child.awaitLine("ECHO", Duration.ofSeconds(120))).isEqualTo("OK");
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> tunnels(squid, relay.port()) >= 1);
        Scenarios.pass("N6", "jdk_property=" + scheme + ".proxyHost squid_tunnels=" + tunnels(squid, relay.port()));
      }
    }
  }

  @Test
  @Timeout(300)
  void n7NoProxyPasswordKeyOrTokenInDebugLogs() throws Exception {
    String key = "ProxyCanaryKeyWq3Er5Ty7Ui9Op1As3Df5Gh7Jk9L=";
    List<String> messages = new CopyOnWriteArrayList<>();
    Consumer<Throwable> keep = e -> {
      for (Throwable t = e; t != null; t = t.getCause()) {
        messages.add(String.valueOf(t));
      }
    };
    try (RelayFixture relay = RelayFixture.start(key, UnaryOperator.identity());
        SquidProxy squid = squid(relay.port())) {
      String cs = relay.connectionString("n7");
      RelayProxy px = RelayProxy.parse(squid.url(USER, PASSWORD));
      messages.add(px.toString());
      try (EchoListener echo = EchoListener.open(cs, b -> b.proxy(px))) {
        relay.awaitListeners("n7", 1, Duration.ofSeconds(30));
        assertThat(echoThrough(cs, px)).isTrue();
        for (RelayProxy bad : List.of(RelayProxy.parse(squid.url(USER, "x" + PASSWORD)),
            RelayProxy.parse(squid.url(null, null)))) {
          try {
            echoThrough(cs, bad);
          } catch (IOException e) {
            keep.accept(e);
          }
        }
        try {
          RelayProxy.parse("http://" + USER + ":" + PASSWORD + "@[bad");
        } catch (IllegalArgumentException e) {
          keep.accept(e);
        }
        try {
          RelayProxy.parse("socks5://" + USER + ":" + PASSWORD + "@127.0.0.1:1080");
        } catch (IllegalArgumentException e) {
          keep.accept(e);
        }
      }
      String basic = java.util.Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes());
      Path log = Path.of("target", "relay-it-debug.log");
      String text = Files.exists(log) ? Files.readString(log) : "";
      assertThat(text).as("the DEBUG log has proxy lines").contains("through proxy " + squid.address());
      assertThat(java.util.regex.Pattern.compile("sig=(?!\\*\\*\\*)[A-Za-z0-9%+/=_-]{8,}").matcher(text).find())
          .as("an unredacted sig= value in the debug log").isFalse();
      for (String canary : List.of(PASSWORD, basic, key)) {
        assertThat(text).as("debug log").doesNotContain(canary);
        assertThat(messages).as("exception messages").noneMatch(m -> m.contains(canary));
      }
      assertThat(messages).anyMatch(m -> m.contains("407"));
      Scenarios.pass("N7", "messages_checked=" + messages.size() + " log_bytes=" + text.length());
    }
  }
}
