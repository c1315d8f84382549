package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.it.support.ProtocolListener;
import dev.hybridrelay.it.support.ProtocolSender;
import dev.hybridrelay.it.support.RelayFixture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A listener that has received its 101 must be reachable at once: a sender connecting right
 * after must not get 404 "no listeners". (Found while building the catalogue; see the relay's
 * WebSocketUpgrade.complete, which flushes the 101 before the control handler is installed.)
 */
class ListenerAvailabilityRaceTest {

  @Test
  @Timeout(120)
  void senderRightAfterListener101IsRouted() throws Exception {
    int attempts = 50;
    int notRouted = 0;
    try (RelayFixture relay = RelayFixture.start()) {
      for (int i = 0; i < attempts; i++) {
        String hc = "race" + i;
        try (ProtocolListener l = new ProtocolListener(relay.listenUri(hc),
            ProtocolListener.Mode.ECHO)) {
          ProtocolSender s = new ProtocolSender(relay.senderUri(hc));
          if (!s.connectBlocking(10, TimeUnit.SECONDS)) {
            notRouted++;
          }
          s.closeBlocking();
        }
      }
    }
    System.out.println("RACE attempts=" + attempts + " not_routed=" + notRouted);
    assertThat(notRouted).as("senders refused although the listener had its 101").isZero();
  }
}
