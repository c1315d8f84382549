package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.it.support.ReverseProxy;
import dev.hybridrelay.it.support.Scenarios;
import dev.hybridrelay.it.support.TcpEcho;
import dev.hybridrelay.it.support.Transfers;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.testkit.Payloads;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * N8: the relay behind a real nginx / HAProxy that terminates TLS, run from the repository's
 * {@code deploy/} files: accept addresses and connection strings name the public port and wss, the
 * forwarder chain carries 64 MiB byte-exact, and listeners see the client's address from {@code
 * X-Forwarded-For} (or, with HAProxy's {@code send-proxy}, from the PROXY protocol header) because
 * the proxy is a trusted proxy (not the proxy's address, not a spoofed header).
 */
class ReverseProxyScenariosTest {
  static final long BIG = 64L << 20;

  @ParameterizedTest
  @EnumSource(ReverseProxy.Kind.class)
  @Timeout(600)
  void n8ForwarderChainBehindTlsTerminatingProxy(ReverseProxy.Kind kind) throws Exception {
    String missing = ReverseProxy.unavailableReason(kind);
    if (missing != null && System.getenv("CI") != null) {
      throw new AssertionError("CI is set but the reverse-proxy scenario cannot run: " + missing);
    }
    Assumptions.assumeTrue(missing == null, () -> "Skipping the reverse-proxy scenario: " + missing);
    int front = ReverseProxy.freePort();
    try (RelayFixture relay = RelayFixture.start(b -> b.advertisedPort(front).advertisedTls(true)
            .trustedProxy(ReverseProxy.PROXY_SOURCE + "/32")
            .proxyProtocol(kind == ReverseProxy.Kind.HAPROXY_PROXY_PROTOCOL));
        ReverseProxy proxy = ReverseProxy.start(kind, front, relay.port());
        TcpEcho target = TcpEcho.start()) {
      String cs = relay.connectionString("n8");
      assertThat(cs).startsWith("Endpoint=sb://localhost:" + front + "/").doesNotContain("UseDevelopmentEmulator");
      SSLContext trust = proxy.trust();
      // the listener sees the client's address, not the proxy's, and not what the client claims
      CompletableFuture<InetSocketAddress> seen = new CompletableFuture<>();
      try (RelayListener l = RelayListener.builder(relay.connectionString("n8-xff")).sslContext(trust)
          .connectionHandler(c -> {
            seen.complete(c.remoteAddress());
            try {
              c.close();
            } catch (Exception ignored) {
              // closing
            }
          }).build()) {
        l.open();
        try (RelayConnection c = RelaySender.builder(relay.connectionString("n8-xff")).sslContext(trust)
            .header("X-Forwarded-For", "203.0.113.7").build().connect(Duration.ofSeconds(60))) {
          InetSocketAddress a = seen.get(60, TimeUnit.SECONDS);
          assertThat(a.getHostString()).as("sender address seen by the listener").isEqualTo("127.0.0.1");
        }
      }
      RemoteForwarder remote = RemoteForwarder.builder(cs).hybridConnection("n8").target("echo", "127.0.0.1",
          target.port()).listenerCustomizer(b -> b.sslContext(trust)).build();
      LocalForwarder local = LocalForwarder.builder(cs).hybridConnection("n8").portName("echo").port(0)
          .senderCustomizer(b -> b.sslContext(trust)).build();
      try (remote; local) {
        remote.start();
        local.start();
        relay.awaitListeners("n8", 1, Duration.ofSeconds(30));
        Transfers.Result r;
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", local.localPort()), 10_000);
          r = ProxyScenariosTest.socketEcho(s, Payloads.seed("n8-" + kind), BIG);
        }
        Scenarios.record("N8", r.intact() ? "PASS" : "FAIL", "proxy=" + kind + " bytes=" + BIG + " sha256="
            + r.received().sha256Hex().substring(0, 16));
        assertThat(r.intact()).as("-L -> " + kind + " TLS -> relay -> -T -> echo").isTrue();
      }
    }
  }
}
