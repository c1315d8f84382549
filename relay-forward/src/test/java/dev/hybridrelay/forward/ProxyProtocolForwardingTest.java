package dev.hybridrelay.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.forward.internal.Preamble;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client's address to the target: the local forwarder sends it as connect headers, the remote
 * forwarder writes a PROXY protocol header before any data when the target is configured for it,
 * and nothing otherwise. Real sockets through the real local relay.
 */
class ProxyProtocolForwardingTest {
  private static final String RULE = "pp";
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static LocalRelayServer relay;

  @BeforeAll
  static void startRelay() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true).build().start();
  }

  @AfterAll
  static void stopRelay() {
    relay.shutdown(Duration.ofSeconds(1));
  }

  /** A target that records everything a connection sent, then closes. */
  private static final class Recorder implements AutoCloseable {
    final CompletableFuture<byte[]> received = new CompletableFuture<>();
    final TcpPeers.Server server = new TcpPeers.Server(s -> {
      try {
        received.complete(s.getInputStream().readAllBytes());
      } catch (IOException e) {
        received.completeExceptionally(e);
      }
    });

    Recorder() throws IOException {}

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  private static RelayConnectionString cs(String hc) {
    return RelayConnectionString.parse(relay.connectionString(RULE, hc));
  }

  private static byte[] send(LocalForwarder local, byte[] data, int[] clientPort) throws IOException {
    try (Socket s = TcpPeers.connect(local.localPort())) {
      clientPort[0] = s.getLocalPort();
      s.getOutputStream().write(data);
      s.shutdownOutput();
      return s.getInputStream().readAllBytes();
    }
  }

  @Test
  @Timeout(60)
  void v1HeaderNamesTheRealClientBeforeAnyData() throws Exception {
    try (Recorder target = new Recorder();
        RemoteForwarder remote = RemoteForwarder.builder(cs("pp-v1")).target("web", "127.0.0.1", target.server.port())
            .proxyProtocol("web", ProxyProtocol.V1).build();
        LocalForwarder local = LocalForwarder.builder(cs("pp-v1")).portName("web").build()) {
      remote.start();
      local.start();
      int[] port = new int[1];
      send(local, "hello".getBytes(StandardCharsets.US_ASCII), port);
      String got = new String(target.received.get(30, TimeUnit.SECONDS), StandardCharsets.US_ASCII);
      assertThat(got).isEqualTo("PROXY TCP4 127.0.0.1 127.0.0.1 " + port[0] + " " + local.localPort() + "\r\nhello");
      assertThat(remote.proxyProtocol("web")).isEqualTo(ProxyProtocol.V1);
    }
  }

  @Test
  @Timeout(60)
  void v2HeaderIsBinaryAndTheLoneTargetRuleKeepsIt() throws Exception {
    try (Recorder target = new Recorder()) {
      // the lone target 8000 is reached with -L 18000 (any numeric name); configure it by its own name
      RemoteForwarder pp = RemoteForwarder.builder(cs("pp-v2"))
          .target(new ForwardTarget("8000", "127.0.0.1", target.server.port()))
          .proxyProtocol("8000", ProxyProtocol.V2).build();
      try (pp; LocalForwarder local = LocalForwarder.builder(cs("pp-v2")).portName("18000").build()) {
        pp.start();
        local.start();
        int[] port = new int[1];
        send(local, new byte[] {1, 2, 3}, port);
        byte[] got = target.received.get(30, TimeUnit.SECONDS);
        assertThat(got).hasSize(28 + 3);
        assertThat(Arrays.copyOf(got, 12)).isEqualTo(new byte[] {13, 10, 13, 10, 0, 13, 10, 'Q', 'U', 'I', 'T', 10});
        assertThat(got[12]).isEqualTo((byte) 0x21);
        assertThat(got[13]).isEqualTo((byte) 0x11);
        assertThat(((got[24] & 0xff) << 8) | (got[25] & 0xff)).as("source port").isEqualTo(port[0]);
        assertThat(((got[26] & 0xff) << 8) | (got[27] & 0xff)).as("destination port").isEqualTo(local.localPort());
        assertThat(Arrays.copyOfRange(got, 28, 31)).isEqualTo(new byte[] {1, 2, 3});
      }
    }
  }

  @Test
  @Timeout(60)
  void withoutTheOptionTheTargetSeesOnlyTheData() throws Exception {
    try (Recorder target = new Recorder();
        RemoteForwarder remote = RemoteForwarder.builder(cs("pp-off")).target("web", "127.0.0.1", target.server.port())
            .build();
        LocalForwarder local = LocalForwarder.builder(cs("pp-off")).portName("web").build()) {
      remote.start();
      local.start();
      send(local, "PROXY plain".getBytes(StandardCharsets.US_ASCII), new int[1]);
      assertThat(new String(target.received.get(30, TimeUnit.SECONDS), StandardCharsets.US_ASCII))
          .isEqualTo("PROXY plain");
    }
  }

  @Test
  @Timeout(60)
  void aMalformedOrMissingClaimBecomesUnknownNeverAGuess() throws Exception {
    String[][] claims = {{"evil.example:80", null}, {"127.0.0.1:99999", null}, {null, null}};
    int i = 0;
    for (String[] claim : claims) {
      String hc = "pp-bad-" + i++;
      try (Recorder target = new Recorder();
          RemoteForwarder remote = RemoteForwarder.builder(cs(hc)).target("web", "127.0.0.1", target.server.port())
              .proxyProtocol("web", ProxyProtocol.V1).build()) {
        remote.start();
        RelaySender sender = RelaySender.builder(cs(hc)).build();
        Map<String, String> headers = claim[0] == null ? Map.of() : Map.of("Hybridrelay-Source", claim[0]);
        try (RelayConnection c = sender.connect(Duration.ofSeconds(30), Map.of(), headers)) {
          Preamble.writeRequest(c.getOutputStream(), Preamble.MODE_STREAM, "web");
          assertThat(Preamble.readReply(c.getInputStream(), Preamble.MODE_STREAM)).isEqualTo(Preamble.ReplyKind.OK);
          c.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
          c.shutdownOutput();
          drain(c.getInputStream());
        }
        assertThat(new String(target.received.get(30, TimeUnit.SECONDS), StandardCharsets.US_ASCII))
            .as("claim %s", claim[0]).isEqualTo("PROXY UNKNOWN\r\nx");
      }
    }
  }

  @Test
  void proxyProtocolNeedsATcpOrSocketTargetOfThatName() {
    assertThatThrownBy(() -> RemoteForwarder.builder(cs("pp-cfg")).target("web", "127.0.0.1", 80)
        .proxyProtocol("db", ProxyProtocol.V2).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'db'");
    assertThatThrownBy(() -> RemoteForwarder.builder(cs("pp-cfg")).udpTarget("dns", "127.0.0.1", 53)
        .proxyProtocol("dns", ProxyProtocol.V1).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("UDP");
    assertThat(ProxyProtocol.parse("V2")).isEqualTo(ProxyProtocol.V2);
    assertThatThrownBy(() -> ProxyProtocol.parse("v3")).hasMessageContaining("use v1 or v2");
  }

  private static void drain(InputStream in) throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    in.transferTo(sink);
  }
}
