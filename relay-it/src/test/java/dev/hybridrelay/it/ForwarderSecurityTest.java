package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.forward.ForwardEvents;
import dev.hybridrelay.forward.ForwardFailure;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.it.support.Scenarios;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S9: the forwarders are not an open proxy. */
class ForwarderSecurityTest {

  /** A TCP listener that counts accepted connections. */
  static final class Sentinel implements AutoCloseable {
    final ServerSocket server;
    final AtomicInteger accepted = new AtomicInteger();

    Sentinel(InetAddress bind) throws IOException {
      server = new ServerSocket(0, 50, bind);
      Thread t = new Thread(() -> {
        while (!server.isClosed()) {
          try (Socket s = server.accept()) {
            accepted.incrementAndGet();
            s.getOutputStream().write("SENTINEL".getBytes());
          } catch (IOException e) {
            return;
          }
        }
      }, "test-sentinel");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** Connects to the local forwarder, writes a probe, returns what came back. */
  static String probe(int localPort) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), localPort), 5000);
      s.setSoTimeout(5000);
      s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes());
      byte[] b = s.getInputStream().readNBytes(8);
      return b.length == 0 ? "closed" : new String(b);
    } catch (java.net.SocketTimeoutException e) {
      return "hang";
    } catch (IOException e) {
      return "reset";
    }
  }

  @Test
  @Timeout(120)
  void s9ForbiddenTargetsAreRefused() throws Exception {
    try (RelayFixture relay = RelayFixture.start();
        Sentinel allowed = new Sentinel(InetAddress.getLoopbackAddress());
        Sentinel loop = new Sentinel(InetAddress.getLoopbackAddress());
        Sentinel alias = new Sentinel(InetAddress.getByName("127.0.0.2"));
        Sentinel v6 = new Sentinel(InetAddress.getByName("::1"))) {
      List<ForwardFailure> refusals = new CopyOnWriteArrayList<>();
      RemoteForwarder remote = RemoteForwarder.builder(relay.connectionString("s9"))
          .hybridConnection("s9").target("web", "127.0.0.1", allowed.port())
          // strict: under the default lone-target rule the numeric names below would reach the one
          // allowed target (never a sentinel), which this scenario would count as a leak
          .strictPortNames(true)
          .events(new ForwardEvents() {
            @Override
            public void onRefused(ForwardFailure failure) {
              refusals.add(failure);
            }
          }).build();
      remote.start();
      try {
        String[] names = {"22", "127.0.0.1:" + loop.port(), "169.254.169.254:80",
            "[::1]:" + v6.port(), "::1:" + v6.port(), "localhost:" + loop.port(),
            "127.0.0.2:" + alias.port(), Integer.toString(loop.port()), "web/../x", "web?x=1",
            "web:" + loop.port(), "WEB ", "web\u0000", "web/" + loop.port()};
        List<String> outcomes = new ArrayList<>();
        int leaked = 0;
        for (String name : names) {
          String outcome;
          try (LocalForwarder local = LocalForwarder.builder(relay.connectionString("s9"))
              .hybridConnection("s9").portName(name).port(0).build()) {
            local.start();
            outcome = probe(local.localPort());
          } catch (IllegalArgumentException e) {
            outcome = "rejected_locally";
          }
          if (outcome.startsWith("SENTINEL")) {
            leaked++;
          }
          outcomes.add(name.replace(' ', '_').replace("\u0000", "\\0") + "=" + outcome);
        }
        // the configured target is reachable
        String allowedOutcome;
        try (LocalForwarder local = LocalForwarder.builder(relay.connectionString("s9"))
            .hybridConnection("s9").portName("web").port(0).build()) {
          local.start();
          allowedOutcome = probe(local.localPort());
        }
        int sentinelHits = loop.accepted.get() + alias.accepted.get() + v6.accepted.get();
        String figures = "forbidden_names=" + names.length + " sentinel_hits=" + sentinelHits
            + " leaked=" + leaked + " refusals_reported=" + refusals.size() + " allowed_target="
            + allowedOutcome + " outcomes=" + String.join(",", outcomes);
        boolean pass = sentinelHits == 0 && leaked == 0 && allowedOutcome.equals("SENTINEL")
            && outcomes.stream().noneMatch(o -> o.endsWith("=hang"));
        Scenarios.record("S9", pass ? "PASS" : "FAIL", figures);
        assertThat(sentinelHits).isZero();
        assertThat(leaked).isZero();
        assertThat(allowedOutcome).isEqualTo("SENTINEL");
        assertThat(outcomes).noneMatch(o -> o.endsWith("=hang"));
      } finally {
        remote.close();
      }
    }
  }
}
