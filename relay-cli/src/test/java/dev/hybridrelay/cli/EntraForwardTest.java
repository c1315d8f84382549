package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.sun.net.httpserver.HttpServer;
import dev.hybridrelay.azure.identity.EntraIdTokenProvider;
import dev.hybridrelay.server.AccessRights;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import reactor.core.publisher.Mono;

/**
 * {@code forward} with Entra ID against the local relay, which accepts a configured static bearer
 * token (it does not validate Entra ID tokens). In process with a mocked credential, and as a
 * separate process whose real DefaultAzureCredential gets its token from a local stand-in for the
 * App Service managed identity endpoint.
 */
@Timeout(120)
class EntraForwardTest {
  static final String JWT = "eyJhbGciOiJSUzI1NiJ9.eyJ0ZXN0IjoiZW50cmEtZm9yd2FyZCJ9.ZW50cmEtZm9yd2FyZC1zaWc";

  LocalRelayServer relay;
  ServerSocket echo;
  String csWithoutKey;

  @BeforeEach
  void start() throws Exception {
    relay = LocalRelayServer.builder().hybridConnection("entra").acceptBearerToken(JWT, AccessRights.LISTEN,
        AccessRights.SEND).build().start();
    csWithoutKey = "Endpoint=" + relay.endpoint() + ";UseDevelopmentEmulator=true";
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!echo.isClosed()) {
        try (Socket s = echo.accept()) {
          InputStream in = s.getInputStream();
          OutputStream out = s.getOutputStream();
          out.write(in.readAllBytes());
          s.shutdownOutput();
        } catch (Exception ignored) {
          // closed at the end; the client side asserts
        }
      }
    }, "entra-test-echo");
    t.setDaemon(true);
    t.start();
  }

  @AfterEach
  void stop() throws Exception {
    echo.close();
    relay.shutdown(Duration.ofSeconds(1));
  }

  static int freePort() throws Exception {
    try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  static String roundTrip(int port, String text) throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void withoutAKeyBothSidesUseOneSharedEntraTokenAsAzbridgeDoes() throws Exception {
    TokenCredential credential = mock(TokenCredential.class);
    when(credential.getToken(any())).thenAnswer(inv -> Mono.just(new AccessToken(JWT, OffsetDateTime.now().plusHours(1))));
    int localPort = freePort();
    ForwardCommand cmd = new ForwardCommand();
    new CommandLine(cmd).parseArgs("-x", csWithoutKey, "-T", "entra:echo/127.0.0.1:" + echo.getLocalPort(),
        "-L", localPort + "/echo:entra", "--status-interval", "0");
    ForwardPlan plan = cmd.plan();
    plan.entraFactory = () -> EntraIdTokenProvider.create(credential);
    try (ForwardRun.Running running = ForwardRun.start(plan)) {
      assertThat(roundTrip(localPort, "with an Entra ID token")).isEqualTo("with an Entra ID token");
    }
    verify(credential, times(1)).getToken(any());
  }

  @Test
  void entraWithASharedAccessKeyIsAUsageError() throws Exception {
    ForwardCommand cmd = new ForwardCommand();
    new CommandLine(cmd).parseArgs("--entra", "-x", relay.connectionString(), "-T", "entra:127.0.0.1:1",
        "--status-interval", "0");
    ForwardPlan plan = cmd.plan();
    plan.entraFactory = () -> {
      throw new AssertionError("not used");
    };
    assertThatThrownBy(() -> ForwardRun.start(plan))
        .isInstanceOf(ForwardRun.StartException.class)
        .hasMessageContaining("--entra: the connection string for 'entra' also has a shared access key")
        .satisfies(e -> assertThat(((ForwardRun.StartException) e).exitCode).isEqualTo(ForwardCommand.EXIT_USAGE));
  }

  @Test
  void theConnectionStringCanComeFromAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("connection-string");
    Files.writeString(file, relay.connectionString() + "\n");
    ForwardCommand cmd = new ForwardCommand();
    new CommandLine(cmd).parseArgs("-x", "@" + file, "-T", "entra:127.0.0.1:1");
    assertThat(cmd.plan().connectionString).isEqualTo(relay.connectionString());

    ForwardCommand missing = new ForwardCommand();
    new CommandLine(missing).parseArgs("-x", "@" + dir.resolve("absent"), "-T", "entra:127.0.0.1:1");
    assertThatThrownBy(missing::plan).isInstanceOf(ForwardConfigException.class)
        .hasMessageContaining("-x: cannot read " + dir.resolve("absent"));
  }

  /** A stand-in for the App Service managed identity endpoint that hands out {@link #JWT}. */
  static HttpServer identityEndpoint(List<String> requests) throws Exception {
    HttpServer identity = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    identity.createContext("/msi/token", ex -> {
      requests.add(ex.getRequestURI().getRawQuery() + " header=" + ex.getRequestHeaders().getFirst("X-IDENTITY-HEADER"));
      byte[] body = ("{\"access_token\":\"" + JWT + "\",\"expires_on\":\"" + (System.currentTimeMillis() / 1000 + 3600)
          + "\",\"resource\":\"https://relay.azure.net\",\"token_type\":\"Bearer\"}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    identity.start();
    return identity;
  }

  static Map<String, String> identityEnvironment(HttpServer identity) {
    return Map.of("IDENTITY_ENDPOINT", "http://127.0.0.1:" + identity.getAddress().getPort() + "/msi/token",
        "IDENTITY_HEADER", "test-identity-header");
  }

  @Test
  void defaultAzureCredentialGetsItsTokenFromAManagedIdentityEndpoint(@TempDir Path dir) throws Exception {
    List<String> requests = new CopyOnWriteArrayList<>();
    HttpServer identity = identityEndpoint(requests);
    int localPort = freePort();
    Map<String, String> env = identityEnvironment(identity);
    try (CliProcess fwd = CliProcess.start(dir, "forward", null, List.of(), env, "forward", "--entra",
        "-x", csWithoutKey, "-T", "entra:echo/127.0.0.1:" + echo.getLocalPort(), "-L", localPort + "/echo:entra",
        "--status-interval", "0")) {
      fwd.awaitStderr("Forwarding 127.0.0.1:" + localPort, Duration.ofSeconds(90));
      assertThat(roundTrip(localPort, "managed identity")).isEqualTo("managed identity");
      assertThat(requests).hasSize(1);
      assertThat(requests.get(0)).contains("resource=https%3A%2F%2Frelay.azure.net")
          .contains("header=test-identity-header");
      assertThat(fwd.stderr()).contains("Entra ID").doesNotContain(JWT);
    } finally {
      identity.stop(0);
    }
  }

  @Test
  void listenAndConnectWithEntraExchangeBytes(@TempDir Path dir) throws Exception {
    List<String> requests = new CopyOnWriteArrayList<>();
    HttpServer identity = identityEndpoint(requests);
    Path input = Files.writeString(dir.resolve("input"), "hello over Entra ID");
    try (CliProcess listen = CliProcess.start(dir, "listen", null, List.of(), identityEnvironment(identity),
        "listen", "--entra", "-x", csWithoutKey, "--hc", "entra", "--echo")) {
      listen.awaitStderr("Listening on hybrid connection 'entra'", Duration.ofSeconds(90));
      try (CliProcess connect = CliProcess.start(dir, "connect", input, List.of(), identityEnvironment(identity),
          "connect", "--entra", "-x", csWithoutKey, "--hc", "entra")) {
        assertThat(connect.waitFor(Duration.ofSeconds(90))).as(connect.stderr()).isZero();
        assertThat(Files.readString(connect.out)).isEqualTo("hello over Entra ID");
        assertThat(connect.stderr()).doesNotContain(JWT);
      }
      assertThat(listen.stderr()).doesNotContain(JWT);
    } finally {
      identity.stop(0);
    }
    assertThat(requests).hasSize(2); // one token per process
  }
}
