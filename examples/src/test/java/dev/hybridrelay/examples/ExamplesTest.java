package dev.hybridrelay.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.server.LocalRelayExtension;
import dev.hybridrelay.socket.RelayServerSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs every example against real peers: a local relay, an HTTP server, and PostgreSQL if present. */
@Timeout(120)
class ExamplesTest {
  @RegisterExtension
  static final LocalRelayExtension RELAY = LocalRelayExtension.create();

  @Test
  void echoServerAndClientTalkThroughTheRelay() throws Exception {
    String cs = RELAY.connectionString("echo");
    ServerSocket server = new RelayServerSocket(cs);
    Thread serving = new Thread(() -> {
      try {
        EchoServer.serve(server);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    serving.start();
    try {
      assertThat(EchoClient.echo(cs, "hello relay")).isEqualTo("hello relay");
      assertThat(EchoClient.echo(cs, "twice")).isEqualTo("twice");
    } finally {
      server.close();
      serving.join(10_000);
    }
    assertThat(serving.isAlive()).isFalse();
  }

  @Test
  void okHttpReachesTheServiceBehindTheRelay() throws Exception {
    assertThat(OkHttpOverRelay.call()).isEqualTo("200 hello from behind the relay, you asked for inventory.internal");
  }

  @Test
  void jdkHttpHandlerServedThroughRequestModeAndCalledByStockClients() throws Exception {
    assertThat(JdkHttpOverRelay.call())
        .isEqualTo("200 hello GET /inventory?sku=7 | 200 hello GET /inventory?sku=8");
  }

  /**
   * Needs PostgreSQL on 127.0.0.1:5432 with user postgres, password postgres, database postgres
   * (CI installs it); skipped when nothing listens there.
   */
  @Test
  void postgresJdbcDriverRunsAQueryThroughTheRelay() throws Exception {
    InetSocketAddress pg = new InetSocketAddress("127.0.0.1", 5432);
    try (Socket probe = new Socket()) {
      probe.connect(pg, 1000);
    } catch (java.io.IOException e) {
      Assumptions.abort("No PostgreSQL on 127.0.0.1:5432 (" + e.getMessage() + "); CI installs one. "
          + "To run locally: start PostgreSQL and ALTER USER postgres PASSWORD 'postgres'");
    }
    assertThat(PostgresOverRelay.selectVersion(pg, "postgres", "postgres", "postgres")).startsWith("PostgreSQL ");
  }
}
