package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import dev.hybridrelay.server.testing.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ListenerLimitsTest {

  @Test
  void twentyFiveListenersAreAllowedAndTheTwentySixthIsRefused() throws Exception {
    try (RelayFixture relay = RelayFixture.start(false)) {
      List<TestListener> listeners = new ArrayList<>();
      try {
        for (int i = 0; i < 25; i++) {
          listeners.add(relay.listen("busy"));
        }
        assertThat(relay.server.listenerCount("busy")).isEqualTo(25);
        RawWs r = relay.rawSender("busy?sb-hc-action=listen", RelayFixture.auth(RelayFixture.token("busy")));
        assertThat(r.status).isEqualTo(403);
        assertThat(r.reason).startsWith("QuotaExceeded: MaximumListenersPerEndpoint");
        listeners.remove(0).close();
        org.awaitility.Awaitility.await().until(() -> relay.server.listenerCount("busy") == 24);
        listeners.add(relay.listen("busy"));
      } finally {
        listeners.forEach(TestListener::close);
      }
    }
  }

  @Test
  void connectionsAreSpreadAcrossListeners() throws Exception {
    try (RelayFixture relay = RelayFixture.start(false)) {
      List<TestListener> listeners = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        for (int i = 0; i < 5; i++) {
          listeners.add(relay.listen("spread"));
        }
        int[] counts = new int[5];
        List<Future<RawWs>> senders = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          senders.add(pool.submit(() -> relay.rawSender("spread",
              RelayFixture.auth(RelayFixture.token("spread")))));
        }
        int seen = 0;
        long deadline = System.currentTimeMillis() + 20_000;
        while (seen < 100 && System.currentTimeMillis() < deadline) {
          for (int i = 0; i < 5; i++) {
            WsClient.Message m = listeners.get(i).control.messages.poll(5, TimeUnit.MILLISECONDS);
            if (m != null) {
              counts[i]++;
              seen++;
              JsonNode accept = new com.fasterxml.jackson.databind.ObjectMapper().readTree(m.data()).get("accept");
              listeners.get(i).reject(accept, 503, "Busy").close();
            }
          }
        }
        assertThat(seen).isEqualTo(100);
        for (int c : counts) {
          assertThat(c).isPositive();
        }
        for (Future<RawWs> f : senders) {
          RawWs s = f.get(10, TimeUnit.SECONDS);
          assertThat(s.status).isEqualTo(503);
          s.close();
        }
      } finally {
        pool.shutdownNow();
        listeners.forEach(TestListener::close);
      }
    }
  }

  @Test
  void unrelatedHybridConnectionsHaveTheirOwnQuota() throws Exception {
    try (RelayFixture relay = RelayFixture.start(false, b -> b.maxListenersPerHybridConnection(1))) {
      try (TestListener a = relay.listen("a"); TestListener b = relay.listen("b")) {
        RawWs r = relay.rawSender("a?sb-hc-action=listen", RelayFixture.auth(RelayFixture.token("a")));
        assertThat(r.status).isEqualTo(403);
        assertThat(relay.server.listenerCount("b")).isEqualTo(1);
        assertThat(a.control.isOpen()).isTrue();
        assertThat(b.control.isOpen()).isTrue();
      }
    }
  }
}
