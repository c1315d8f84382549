package dev.hybridrelay.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.core.RelayAuthorizationException;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.server.LocalRelayExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ServerSocketFactory;
import javax.net.SocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class RelaySocketFactoryTest {
  @RegisterExtension
  static final LocalRelayExtension RELAY = LocalRelayExtension.create();

  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  /** Accepts one connection on {@code server} and answers with its name plus what it read. */
  private Future<?> answerOnce(ServerSocket server, String name) {
    return pool.submit(() -> {
      try (Socket s = server.accept()) {
        byte[] in = s.getInputStream().readAllBytes();
        s.getOutputStream().write((name + ":" + new String(in, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
      }
      return null;
    });
  }

  private static String exchange(Socket s, String text) throws IOException {
    try (s) {
      s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void everyHostGoesToTheEntityPathByDefault() throws Exception {
    try (ServerSocket server = new RelayServerSocket(RELAY.connectionString("fixed"))) {
      SocketFactory f = RelaySocketFactory.forConnectionString(RELAY.connectionString("fixed"));
      Future<?> done = answerOnce(server, "fixed");
      assertThat(exchange(f.createSocket("db.example.invalid", 5432), "hi")).isEqualTo("fixed:hi");
      done.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void unconnectedSocketMapsAnUnresolvedAddress() throws Exception {
    try (ServerSocket server = new RelayServerSocket(RELAY.connectionString("okhttp-style"))) {
      SocketFactory f = RelaySocketFactory.forConnectionString(RELAY.connectionString("okhttp-style"));
      Socket s = f.createSocket();
      s.setSoTimeout(10_000);
      Future<?> done = answerOnce(server, "o");
      s.connect(InetSocketAddress.createUnresolved("api.internal", 443), 10_000);
      assertThat(s.getInetAddress().getHostName()).isEqualTo("api.internal");
      assertThat(s.getPort()).isEqualTo(443);
      assertThat(exchange(s, "x")).isEqualTo("o:x");
      done.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void templateAndMapMappingsPickTheHybridConnection() throws Exception {
    RelayConnectionString cs = RelayConnectionString.parse(RELAY.connectionString());
    try (ServerSocket a = new RelayServerSocket(RELAY.connectionString("db-5432"));
        ServerSocket b = new RelayServerSocket(RELAY.connectionString("orders"))) {
      SocketFactory template = RelaySocketFactory.builder(cs).hostMapping(RelayHostMapping.template("{label}-{port}")).build();
      Future<?> da = answerOnce(a, "a");
      assertThat(exchange(template.createSocket("DB.internal", 5432), "1")).isEqualTo("a:1");
      da.get(10, TimeUnit.SECONDS);

      SocketFactory map = RelaySocketFactory.builder(cs)
          .hostMapping(RelayHostMapping.map(Map.of("orders.internal:8080", "orders"))).build();
      Future<?> db = answerOnce(b, "b");
      assertThat(exchange(map.createSocket("orders.internal", 8080), "2")).isEqualTo("b:2");
      db.get(10, TimeUnit.SECONDS);
      assertThatThrownBy(() -> map.createSocket("other", 1)).isInstanceOf(java.net.ConnectException.class)
          .hasMessageContaining("other:1");
    }
  }

  @Test
  void stringConstructorTakesTheConnectionStringAndAHostMapping() throws Exception {
    // What the PostgreSQL driver does with socketFactory + socketFactoryArg: a public (String) constructor.
    SocketFactory f = (SocketFactory) Class.forName(RelaySocketFactory.class.getName())
        .getConstructor(String.class).newInstance(RELAY.connectionString() + ";HostMapping=HostName");
    try (ServerSocket server = new RelayServerSocket(RELAY.connectionString("pg-main"))) {
      Future<?> done = answerOnce(server, "pg");
      assertThat(exchange(f.createSocket("pg-main", 5432), "q")).isEqualTo("pg:q");
      done.get(10, TimeUnit.SECONDS);
    }
    assertThatThrownBy(() -> new RelaySocketFactory("Endpoint=sb://x/;HostMapping=nonsense"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HostMapping");
  }

  @Test
  void serverSocketFactoryMapsThePort() throws Exception {
    RelayConnectionString cs = RelayConnectionString.parse(RELAY.connectionString());
    ServerSocketFactory f = RelayServerSocketFactory.builder(cs).hostMapping(RelayHostMapping.template("app-{port}")).build();
    try (ServerSocket server = f.createServerSocket(8080)) {
      assertThat(server.getLocalSocketAddress().toString()).endsWith("/app-8080");
      Future<?> done = answerOnce(server, "app");
      assertThat(exchange(new RelaySocket(RELAY.connectionString("app-8080")), "z")).isEqualTo("app:z");
      done.get(10, TimeUnit.SECONDS);
    }
    try (ServerSocket unbound = f.createServerSocket()) {
      assertThat(unbound.isBound()).isFalse();
      unbound.bind(new InetSocketAddress(9090));
      assertThat(((RelayServerSocket) unbound).getRelaySocketAddress().entityPath()).isEqualTo("app-9090");
    }
  }

  @Test
  void wrongKeyFailsTheServerSocketConstructorWithAnAuthorizationError() {
    String bad = RELAY.connectionString("auth").replaceAll("SharedAccessKey=[^;]*", "SharedAccessKey=wrong");
    assertThatThrownBy(() -> new RelayServerSocket(bad)).isInstanceOf(RelayAuthorizationException.class)
        .hasMessageNotContaining("wrong");
  }

  @Test
  void addressesAndToStringNeverShowSecrets() throws Exception {
    String cs = RELAY.connectionString("secrets");
    String key = RelayConnectionString.parse(cs).sharedAccessKey();
    try (RelayServerSocket server = new RelayServerSocket(cs)) {
      Future<Socket> accepted = pool.submit(server::accept);
      try (RelaySocket client = new RelaySocket(cs); Socket a = accepted.get(10, TimeUnit.SECONDS)) {
        for (Object o : new Object[] {server, server.getLocalSocketAddress(), client, a,
            client.getRelaySocketAddress(), RelaySocketFactory.forConnectionString(cs)}) {
          assertThat(o.toString()).doesNotContain(key).isNotEmpty();
        }
        assertThat(client.getTrackingId()).isNotBlank();
      }
    }
  }
}
