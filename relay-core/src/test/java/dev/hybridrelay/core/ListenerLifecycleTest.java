package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.server.LocalRelayExtension;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class ListenerLifecycleTest {
  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.create();

  @Test
  void eventsArriveInOrderOnTheEventThread() throws Exception {
    RecordingEvents events = new RecordingEvents();
    RelayListener listener = RelayListener.builder(relay.connectionString("events")).events(events).build();
    assertThat(listener.state()).isEqualTo(ListenerState.NEW);
    listener.open();
    assertThat(listener.isOnline()).isTrue();
    listener.close();
    assertThat(listener.state()).isEqualTo(ListenerState.CLOSED);
    await().atMost(Duration.ofSeconds(5)).until(() -> events.events.size() == 3);
    assertThat(events.snapshot()).containsExactly("connecting", "online", "offline");
    assertThat(events.causes).containsOnlyNulls();
    assertThat(events.threads).allSatisfy(t -> assertThat(t).startsWith("hybridrelay-listener-events-"));
  }

  @Test
  void closeLeavesNoThreadBehind() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> TestSupport.libraryThreads().isEmpty());
    java.util.Set<Thread> before = TestSupport.nonRelayThreads();
    String cs = relay.connectionString("threads");
    RelayListener listener = RelayListener.builder(cs).keepAliveInterval(Duration.ofMillis(200)).build();
    listener.open();
    RelaySender sender = RelaySender.builder(cs).keepAliveInterval(Duration.ofMillis(200)).build();
    for (int i = 0; i < 3; i++) {
      try (RelayConnection s = sender.connect(); RelayConnection l = listener.accept(Duration.ofSeconds(10))) {
        s.getOutputStream().write(1);
        assertThat(l.getInputStream().read()).isEqualTo(1);
      }
    }
    RelayConnection open = sender.connect(); // an accepted connection the application never took
    Thread.sleep(300);
    assertThat(TestSupport.libraryThreads()).isNotEmpty();
    listener.close();
    open.close();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(
        () -> assertThat(TestSupport.libraryThreads()).isEmpty());
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      java.util.Set<Thread> now = TestSupport.nonRelayThreads();
      now.removeAll(before);
      assertThat(now).as("threads started and not ended").isEmpty();
    });
  }

  @Test
  void pendingAcceptThrowsWhenTheListenerCloses() throws Exception {
    RelayListener listener = RelayListener.builder(relay.connectionString("pending")).build();
    listener.open();
    assertThatThrownBy(() -> listener.accept(Duration.ofMillis(100))).isInstanceOf(SocketTimeoutException.class);
    CompletableFuture<RelayConnection> pending = CompletableFuture.supplyAsync(() -> {
      try {
        return listener.accept();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    Thread.sleep(200);
    listener.close();
    listener.close(); // idempotent
    assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasRootCauseInstanceOf(SocketException.class);
    assertThatThrownBy(listener::accept).isInstanceOf(SocketException.class);
    assertThatThrownBy(listener::open).isInstanceOf(SocketException.class);
  }

  @Test
  void requestDetailsReachTheAcceptHandlerAndSubprotocolIsNegotiated() throws Exception {
    BlockingQueue<RelayConnectionRequest> requests = new LinkedBlockingQueue<>();
    String cs = relay.connectionString("details");
    try (RelayListener listener = RelayListener.builder(cs)
        .acceptHandler(req -> {
          requests.add(req);
          req.selectSubprotocol("chat.v2");
          return true;
        }).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs)
          .pathSuffix("orders/17")
          .queryParameter("tenant", "a b&c")
          .header("X-Client-Build", "2024.06")
          .subprotocols(List.of("chat.v1", "chat.v2"))
          .build();
      try (RelayConnection s = sender.connect(); RelayConnection l = listener.accept(Duration.ofSeconds(10))) {
        RelayConnectionRequest req = requests.poll(5, TimeUnit.SECONDS);
        assertThat(req).isNotNull();
        assertThat(req.pathSuffix()).isEqualTo("orders/17");
        assertThat(req.queryParameters()).containsEntry("tenant", List.of("a b&c"));
        assertThat(req.queryParameters().keySet()).noneMatch(k -> k.startsWith("sb-hc-"));
        assertThat(req.headers()).containsEntry("x-client-build", "2024.06");
        assertThat(req.headers()).doesNotContainKey("ServiceBusAuthorization");
        assertThat(req.offeredSubprotocols()).containsExactly("chat.v1", "chat.v2");
        assertThat(req.requestUri().getPath()).isEqualTo("/details/orders/17");
        assertThat(req.requestUri().getRawQuery()).doesNotContain("sb-hc-");
        assertThat(req.trackingId()).isEqualTo(l.trackingId());
        assertThat(l.subprotocol()).contains("chat.v2");
        assertThat(s.subprotocol()).contains("chat.v2");
        assertThat(l.requestHeaders()).containsKey("X-Client-Build");
        s.getOutputStream().write("ok".getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput();
        assertThat(l.getInputStream().readAllBytes()).isEqualTo("ok".getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void connectionHandlerRunsEachConnectionOnItsOwnThread() throws Exception {
    BlockingQueue<String> threads = new LinkedBlockingQueue<>();
    String cs = relay.connectionString("callback");
    try (RelayListener listener = RelayListener.builder(cs).connectionHandler(c -> {
      threads.add(Thread.currentThread().getName());
      try (c) {
        c.getOutputStream().write(42);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    }).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs).build();
      try (RelayConnection s = sender.connect()) {
        assertThat(s.getInputStream().read()).isEqualTo(42);
        assertThat(s.getInputStream().read()).isEqualTo(-1);
      }
      assertThat(threads.poll(5, TimeUnit.SECONDS)).startsWith("hybridrelay-connection-");
    }
  }

  @Test
  void fullBacklogRejectsFurtherSendersWith503() throws Exception {
    String cs = relay.connectionString("backlog");
    try (RelayListener listener = RelayListener.builder(cs).backlog(1).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs).build();
      try (RelayConnection first = sender.connect()) {
        assertThatThrownBy(sender::connect).isInstanceOfSatisfying(RelayConnectException.class,
            e -> assertThat(e.statusCode()).isEqualTo(503));
        try (RelayConnection l = listener.accept(Duration.ofSeconds(5))) {
          first.getOutputStream().write(3);
          assertThat(l.getInputStream().read()).isEqualTo(3);
          // room again
          try (RelayConnection second = sender.connect(); RelayConnection l2 = listener.accept(Duration.ofSeconds(5))) {
            assertThat(l2.trackingId()).isNotEqualTo(l.trackingId()).startsWith(second.trackingId());
          }
        }
      }
    }
  }
}
