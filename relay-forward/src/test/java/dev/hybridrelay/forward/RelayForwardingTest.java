package dev.hybridrelay.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.core.RelayAuthorizationException;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.server.LocalRelayServer;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The forwarding scenarios through the real local relay server: client → local forwarder → relay
 * (WebSocket, sender role) → relay (listener role, rendezvous) → remote forwarder → target.
 */
class RelayForwardingTest extends AbstractForwardingTest {
  private static final String RULE = "forwarding";
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static final AtomicInteger HCS = new AtomicInteger();
  private static LocalRelayServer relay;

  @BeforeAll
  static void startRelay() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true).build().start();
  }

  @AfterAll
  static void stopRelay() {
    if (relay != null) {
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  @Override
  Chain chain(String localPortName, List<ForwardTarget> targets, ForwardOptions options,
      boolean strictPortNames) throws Exception {
    // A fresh hybrid connection per chain, so that chains of one test never share listeners.
    String hc = "fwd-" + HCS.incrementAndGet();
    RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, hc));
    RemoteForwarder.Builder rb = RemoteForwarder.builder(cs).options(options).events(remoteEvents)
        .strictPortNames(strictPortNames);
    targets.forEach(rb::target);
    RemoteForwarder remote = rb.build();
    remote.start();
    LocalForwarder local = LocalForwarder.builder(cs).portName(localPortName).options(options)
        .events(localEvents).build();
    try {
      local.start();
    } catch (Exception e) {
      remote.close();
      throw e;
    }
    return new Chain() {
      @Override
      public LocalForwarder local() {
        return local;
      }

      @Override
      public RemoteForwarder remote() {
        return remote;
      }

      @Override
      public void close() {
        local.close();
        remote.close();
      }
    };
  }

  @Test
  @Timeout(30)
  void withoutARemoteForwarderTheClientIsResetAndTheRelaysAnswerLogged() throws Exception {
    RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, "nobody-listens"));
    LocalForwarder local = track(LocalForwarder.builder(cs).portName("web").events(localEvents).build());
    local.start();
    // The refusal is a reset; it may arrive while connecting or reading.
    assertThatThrownBy(() -> {
      try (Socket s = TcpPeers.connect(local.localPort())) {
        if (s.getInputStream().read() < 0) {
          throw new SocketException("EOF");
        }
      }
    }).isInstanceOf(SocketException.class);
    await().atMost(Duration.ofSeconds(10)).until(() -> localEvents.refused.size() == 1);
    assertThat(localEvents.refused.get(0).message())
        .contains("the relay refused the connection to hybrid connection 'nobody-listens'")
        .contains("404");
  }

  @Test
  @Timeout(30)
  void remoteForwarderWithWrongKeyFailsToStart() {
    RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, "wrong-key"))
        .toBuilder().sharedAccessKey(RULE, "not-the-key").build();
    RemoteForwarder remote = RemoteForwarder.builder(cs).target("web", "127.0.0.1", 1).build();
    assertThatThrownBy(remote::start).isInstanceOf(RelayAuthorizationException.class);
    remote.close();
  }

  @Override
  boolean relayRoutesByPortName() {
    return true;
  }

  @Override
  int largePayloadBytes() {
    return 64 << 20;
  }
}
