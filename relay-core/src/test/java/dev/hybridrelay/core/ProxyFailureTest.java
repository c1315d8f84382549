package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.server.LocalRelayExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Proxy answers other than a clean 200, from a scripted HTTP peer on a real socket: every one fails
 * the connection with a {@link RelayProxyException} naming the proxy (the real-proxy scenarios with
 * Squid are in relay-it).
 */
@Timeout(120)
class ProxyFailureTest {
  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.create();

  /** A one-request-per-connection peer answering each CONNECT with {@code answer(request)}. */
  static final class ScriptedProxy implements AutoCloseable {
    final ServerSocket server;
    final List<String> requests = new CopyOnWriteArrayList<>();

    ScriptedProxy(Function<String, byte[]> answer) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
      Thread t = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            CompletableFuture.runAsync(() -> serve(s, answer));
          } catch (IOException e) {
            return;
          }
        }
      }, "test-scripted-proxy");
      t.setDaemon(true);
      t.start();
    }

    private void serve(Socket s, Function<String, byte[]> answer) {
      try (s) {
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
          sb.append((char) c);
          if (sb.toString().endsWith("\r\n\r\n")) {
            break;
          }
        }
        requests.add(sb.toString());
        byte[] reply = answer.apply(sb.toString());
        if (reply == null) {
          in.read(); // say nothing until the client gives up
          return;
        }
        OutputStream out = s.getOutputStream();
        out.write(reply);
        out.flush();
        s.shutdownOutput();
        in.read();
      } catch (IOException ignored) {
        // client gone
      }
    }

    String address() {
      return "127.0.0.1:" + server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  RelaySender sender(ScriptedProxy p, RelayProxy proxy, Duration timeout) {
    return RelaySender.builder(relay.connectionString("pf")).proxy(proxy).connectTimeout(timeout).build();
  }

  @Test
  void refusalsNameTheProxyAndStatus() throws Exception {
    String[][] cases = {
        {"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", "refused the tunnel to localhost:", "(403 Forbidden)"},
        {"HTTP/1.1 502 Bad Gateway\r\n\r\n", "could not open the tunnel to localhost:", "(502 Bad Gateway)"},
        {"HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n",
            "requires authentication (407 Proxy Authentication Required); give the proxy credentials", "--proxy"},
        {"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\n"
            + "Proxy-Authenticate: NTLM\r\n\r\n", "only Negotiate, NTLM", "only Basic is supported"},
        {"SSH-2.0-OpenSSH\r\n\r\n", "sent a malformed answer to the CONNECT", "SSH-2.0"},
        {"HTTP/1.1 200 OK\r\n\r\nEXTRA", "sent 5 unexpected bytes after accepting the CONNECT", ""},
        {"HTTP/1.1 200 OK\r\nX: " + "a".repeat(20_000) + "\r\n\r\n", "sent a response header over 16384 bytes", ""},
        {"HTTP/1.1 2", "closed the connection without answering the CONNECT", ""},
    };
    for (String[] c : cases) {
      try (ScriptedProxy p = new ScriptedProxy(req -> ascii(c[0]))) {
        assertThatThrownBy(() -> sender(p, RelayProxy.http("127.0.0.1", p.server.getLocalPort()), Duration.ofSeconds(20))
            .connect().close())
            .as(c[0].substring(0, Math.min(40, c[0].length())))
            .isInstanceOf(RelayProxyException.class)
            .hasMessageContaining("Proxy " + p.address() + " ")
            .hasMessageContaining(c[1]).hasMessageContaining(c[2]);
      }
    }
  }

  @Test
  void basicCredentialsAreSentAndNeverShown() throws Exception {
    try (ScriptedProxy p = new ScriptedProxy(req -> ascii("HTTP/1.1 407 Nope\r\n\r\n"))) {
      RelayProxy proxy = RelayProxy.parse("http://bob:S3cr%3At@" + p.address());
      assertThatThrownBy(() -> sender(p, proxy, Duration.ofSeconds(20)).connect())
          .isInstanceOfSatisfying(RelayProxyException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(407);
            assertThat(e.isAuthenticationRequired()).isTrue();
            assertThat(e.proxy()).isEqualTo(p.address());
            assertThat(e.getMessage()).contains("refused the credentials of user 'bob' (407 Nope)")
                .doesNotContain("S3cr");
          });
      String req = p.requests.get(0);
      int port = relay.server().port();
      assertThat(req).startsWith("CONNECT localhost:" + port + " HTTP/1.1\r\nHost: localhost:" + port + "\r\n");
      assertThat(req).contains("Proxy-Authorization: Basic "
          + java.util.Base64.getEncoder().encodeToString("bob:S3cr:t".getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Test
  void silentProxyTimesOutAndUnreachableProxyIsNamed() throws Exception {
    try (ScriptedProxy p = new ScriptedProxy(req -> null)) {
      assertThatThrownBy(() -> sender(p, RelayProxy.http("127.0.0.1", p.server.getLocalPort()), Duration.ofSeconds(2))
          .connect())
          .isInstanceOf(RelayProxyException.class)
          .hasMessageContaining("Proxy " + p.address() + " did not answer the CONNECT to localhost:");
    }
    int dead;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      dead = s.getLocalPort();
    }
    int port = dead;
    assertThatThrownBy(() -> RelaySender.builder(relay.connectionString("pf")).proxy(RelayProxy.http("127.0.0.1", port))
        .build().connect(Duration.ofSeconds(10)))
        .isInstanceOf(RelayProxyException.class)
        .hasMessageContaining("Cannot connect to proxy 127.0.0.1:" + port);
  }
}
