package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.ProxyProtocol;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.it.support.ProxyProtocolBackend;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.it.support.Scenarios;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * P1: the client's address reaches the service behind the edge. A real nginx
 * ({@code listen … proxy_protocol}) and a real HAProxy ({@code accept-proxy}) behind a remote
 * forwarder with {@code proxyProtocol(v1|v2)} answer and log the address of the client that
 * connected to the local forwarder (from 127.0.0.5 and from ::1), not the forwarder's.
 */
class ProxyProtocolBackendTest {
  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (ProxyProtocolBackend.Kind kind : ProxyProtocolBackend.Kind.values()) {
      for (ProxyProtocol version : ProxyProtocol.values()) {
        all.add(Arguments.of(kind, version));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  @Timeout(180)
  void p1BackendLogsTheRealClientAddressAndPort(ProxyProtocolBackend.Kind kind, ProxyProtocol version)
      throws Exception {
    String missing = ProxyProtocolBackend.unavailableReason(kind);
    if (missing != null && System.getenv("CI") != null) {
      throw new AssertionError("CI is set but the PROXY protocol scenario cannot run: " + missing);
    }
    Assumptions.assumeTrue(missing == null, () -> "Skipping the PROXY protocol scenario: " + missing);
    String hc = "p1-" + kind.name().toLowerCase() + "-" + version;
    try (RelayFixture relay = RelayFixture.start();
        ProxyProtocolBackend backend = ProxyProtocolBackend.start(kind)) {
      String cs = relay.connectionString(hc);
      RemoteForwarder remote = RemoteForwarder.builder(cs).target("web", "127.0.0.1", backend.port())
          .proxyProtocol("web", version).build();
      LocalForwarder v4 = LocalForwarder.builder(cs).portName("web").build();
      LocalForwarder v6 = LocalForwarder.builder(cs).portName("web").bindAddress(InetAddress.getByName("::1")).build();
      try (remote; v4; v6) {
        remote.start();
        v4.start();
        v6.start();
        relay.awaitListeners(hc, 1, Duration.ofSeconds(60));
        List<InetSocketAddress> clients = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          clients.add(request(InetAddress.getByName("127.0.0.5"), v4.localAddress(), backend));
          clients.add(request(InetAddress.getByName("::1"), v6.localAddress(), backend));
        }
        // the access log has a line per request, written when the response is done
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> logged(backend.log()).size() >= clients.size());
        List<InetSocketAddress> logged = logged(backend.log());
        assertThat(logged).as("%s log:%n%s", kind, backend.log()).containsExactlyInAnyOrderElementsOf(clients);
        Scenarios.pass("P1", "backend=" + kind.name().toLowerCase() + " proxy_protocol=" + version + " requests="
            + clients.size() + " logged_real_client=" + logged.size());
      }
    }
  }

  /** One HTTP request from {@code source} through the forwarders; the backend's answer must name the client. */
  private static InetSocketAddress request(InetAddress source, InetSocketAddress forwarder,
      ProxyProtocolBackend backend) throws IOException {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(source, 0));
      s.connect(forwarder, 10_000);
      s.setSoTimeout(60_000);
      InetSocketAddress me = (InetSocketAddress) s.getLocalSocketAddress();
      s.getOutputStream().write("GET /p1 HTTP/1.0\r\nHost: backend\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(response).as("%s response", backend.kind()).startsWith("HTTP/1.");
      String body = response.substring(response.indexOf("\r\n\r\n") + 4).trim();
      assertThat(address(body)).as("%s answered '%s'", backend.kind(), body)
          .isEqualTo(new InetSocketAddress(me.getAddress(), me.getPort()));
      return new InetSocketAddress(me.getAddress(), me.getPort());
    }
  }

  /** The client addresses in the log lines of {@code GET /p1} requests. */
  private static List<InetSocketAddress> logged(String log) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (String line : log.split("\n")) {
      if (line.contains("GET /p1")) {
        out.add(address(line.substring(0, line.indexOf(' '))));
      }
    }
    return out;
  }

  private static InetSocketAddress address(String text) {
    int colon = text.lastIndexOf(':');
    try {
      String host = text.substring(0, colon);
      return new InetSocketAddress(InetAddress.getByName(host.replace("[", "").replace("]", "")),
          Integer.parseInt(text.substring(colon + 1)));
    } catch (IOException | RuntimeException e) {
      throw new AssertionError("not ip:port: '" + text + "'", e);
    }
  }
}
