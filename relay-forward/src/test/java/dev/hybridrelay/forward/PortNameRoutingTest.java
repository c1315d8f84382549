package dev.hybridrelay.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Port-name-aware routing (azbridge issue #102): several remote forwarders on one hybrid connection
 * serve disjoint port names. The local relay hands each sender to a listener that announced its
 * port name; with the relay's choice forced random (as Azure Relay), the listeners decline foreign
 * names before accepting and the local forwarders try again. Real sockets, the real local relay.
 */
class PortNameRoutingTest {
  private static final String RULE = "routing";
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static final List<String> NAMES = List.of("alpha", "beta", "gamma");
  private static final int PER_NAME = 300;

  @ParameterizedTest(name = "random listener choice: {0}")
  @ValueSource(booleans = {false, true})
  @Timeout(300)
  void threeListenersWithDisjointPortNamesServeEveryConnection(boolean random) throws Exception {
    LocalRelayServer relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true)
        .randomListenerChoice(random).build().start();
    List<AutoCloseable> open = new ArrayList<>();
    try {
      RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, "routed"));
      List<LocalForwarder> locals = new ArrayList<>();
      for (String name : NAMES) {
        TcpPeers.Server target = tagged(name);
        open.add(target);
        RemoteForwarder remote = RemoteForwarder.builder(cs).target(name, "127.0.0.1", target.port()).build();
        open.add(remote);
        remote.start();
        // enough attempts that a random choice among 3 misses all of them with probability (2/3)^60
        LocalForwarder local = LocalForwarder.builder(cs).portName(name).portNameAttempts(60).build();
        open.add(local);
        local.start();
        locals.add(local);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> relay.listenerCount("routed") == NAMES.size());

      Map<String, AtomicInteger> ok = new ConcurrentHashMap<>();
      List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      ExecutorService pool = Executors.newFixedThreadPool(12);
      try {
        List<Future<?>> runs = new ArrayList<>();
        for (int i = 0; i < PER_NAME; i++) {
          for (int n = 0; n < NAMES.size(); n++) {
            String name = NAMES.get(n);
            int port = locals.get(n).localPort();
            int seq = i;
            runs.add(pool.submit(() -> {
              try {
                String got = roundTrip(port, name + "-" + seq);
                if (got.equals(name + " " + name + "-" + seq)) {
                  ok.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
                } else {
                  failures.add(name + " #" + seq + " answered '" + got + "'");
                }
              } catch (IOException e) {
                failures.add(name + " #" + seq + ": " + e);
              }
            }));
          }
        }
        for (Future<?> f : runs) {
          f.get(240, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(failures).as("refused or misrouted connections").isEmpty();
      for (String name : NAMES) {
        assertThat(ok.get(name)).as("connections for " + name).hasValue(PER_NAME);
      }
      long refused = 0;
      long retries = 0;
      for (LocalForwarder l : locals) {
        refused += l.stats().refusedConnections();
        retries += l.portNameRefusals();
      }
      assertThat(refused).as("connections the local forwarders refused").isZero();
      if (random) {
        // a random choice among three lands on a foreign listener about twice per connection
        assertThat(retries).as("listeners that declined a port name").isPositive();
      } else {
        assertThat(retries).as("the local relay chooses a listener that serves the name").isZero();
      }
      System.out.printf("random=%s: %d connections, 0 refused, %d port-name declines (%.2f per connection)%n",
          random, PER_NAME * NAMES.size(), retries, retries / (double) (PER_NAME * NAMES.size()));
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  @Test
  @Timeout(120)
  void loneTargetRuleAndListenersThatAnnounceNothingKeepWorking() throws Exception {
    LocalRelayServer relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true).build().start();
    try (TcpPeers.Server rdp = tagged("rdp"); TcpPeers.Server ssh = tagged("ssh");
        TcpPeers.Server legacy = tagged("legacy")) {
      RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, "lone"));
      // the lone target is named by its port number (-T lone:3389); the other forwarder has two
      // named targets, so the rule does not apply to it
      try (RemoteForwarder loneRdp = RemoteForwarder.builder(cs)
              .target(new ForwardTarget("3389", "127.0.0.1", rdp.port())).build();
          RemoteForwarder named = RemoteForwarder.builder(cs).target("ssh", "127.0.0.1", ssh.port())
              .target("metrics", "127.0.0.1", ssh.port()).build();
          // announces nothing, as an azbridge listener: the relay may hand it any name nobody announced
          RemoteForwarder quiet = RemoteForwarder.builder(cs).target("legacy", "127.0.0.1", legacy.port())
              .target("legacy2", "127.0.0.1", legacy.port()).announcePortNames(false).build();
          LocalForwarder toQuiet = LocalForwarder.builder(cs).portName("legacy").portNameAttempts(1).build();
          LocalForwarder numeric = LocalForwarder.builder(cs).portName("13389").portNameAttempts(1).build();
          LocalForwarder byName = LocalForwarder.builder(cs).portName("ssh").portNameAttempts(1).build()) {
        loneRdp.start();
        named.start();
        numeric.start();
        byName.start();
        quiet.start();
        toQuiet.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> relay.listenerCount("lone") == 3);
        for (int i = 0; i < 40; i++) {
          // without retries: the relay must pick the lone-target listener for any numeric name
          assertThat(roundTrip(numeric.localPort(), "n" + i)).isEqualTo("rdp n" + i);
          assertThat(roundTrip(byName.localPort(), "s" + i)).isEqualTo("ssh s" + i);
          assertThat(roundTrip(toQuiet.localPort(), "q" + i)).isEqualTo("legacy q" + i);
        }
        assertThat(numeric.stats().refusedConnections() + byName.stats().refusedConnections()
            + toQuiet.stats().refusedConnections()).isZero();
      }
    } finally {
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  @Test
  @Timeout(120)
  void aNameNoListenerServesIsRefusedByTheRelayWithAClearMessage() throws Exception {
    LocalRelayServer relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true).build().start();
    try (TcpPeers.Server ssh = tagged("ssh")) {
      RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, "none"));
      List<ForwardFailure> refusals = java.util.Collections.synchronizedList(new ArrayList<>());
      try (RemoteForwarder named = RemoteForwarder.builder(cs).target("ssh", "127.0.0.1", ssh.port()).build();
          LocalForwarder wrong = LocalForwarder.builder(cs).portName("postgres").events(new ForwardEvents() {
            @Override
            public void onRefused(ForwardFailure failure) {
              refusals.add(failure);
            }
          }).build()) {
        named.start();
        wrong.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> relay.listenerCount("none") == 1);
        try (Socket s = TcpPeers.connect(wrong.localPort())) {
          assertThat(s.getInputStream().read()).as("the client is reset or closed").isLessThan(0);
        } catch (IOException expected) {
          // reset
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> !refusals.isEmpty());
        assertThat(refusals.get(0).message()).contains("404").contains("serves port name 'postgres'");
        assertThat(ssh.accepted).hasValue(0);
      }
    } finally {
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  @Test
  @Timeout(180)
  void azbridgeStyleRefusalsAreRetriedOnlyWhenAskedTo() throws Exception {
    LocalRelayServer relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true)
        .randomListenerChoice(true).build().start();
    List<AutoCloseable> open = new ArrayList<>();
    try {
      RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, "azb"));
      for (String name : NAMES) {
        TcpPeers.Server target = tagged(name);
        open.add(target);
        RemoteForwarder remote = RemoteForwarder.builder(cs).target(name, "127.0.0.1", target.port()).build();
        open.add(remote);
        remote.start();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> relay.listenerCount("azb") == NAMES.size());
      // a sender that names no port (as azbridge's -L): a listener lacking the name closes after the
      // preamble, azbridge's way of refusing it
      dev.hybridrelay.core.RelaySender sender = dev.hybridrelay.core.RelaySender.builder(cs).build();
      LocalForwarder retrying = LocalForwarder.builder(cs).connector(sender::connect, "azb").portName("beta")
          .retryAzbridgeRefusals(true).portNameAttempts(60).build();
      LocalForwarder once = LocalForwarder.builder(cs).connector(sender::connect, "azb").portName("beta").build();
      open.add(retrying);
      open.add(once);
      retrying.start();
      once.start();
      for (int i = 0; i < 30; i++) {
        assertThat(roundTrip(retrying.localPort(), "r" + i)).isEqualTo("beta r" + i);
      }
      assertThat(retrying.stats().refusedConnections()).isZero();
      assertThat(retrying.portNameRefusals()).as("closes retried").isPositive();
      int reached = 0;
      for (int i = 0; i < 30; i++) {
        try {
          if (roundTrip(once.localPort(), "o" + i).equals("beta o" + i)) {
            reached++;
          }
        } catch (IOException refused) {
          // reset: the listener lacked the name
        }
      }
      // without retries, a random listener lacks the name two times in three
      assertThat(reached).isLessThan(30);
      assertThat(once.portNameRefusals()).isZero();
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  /** A target that answers each line with its tag and the line. */
  private static TcpPeers.Server tagged(String tag) throws IOException {
    return new TcpPeers.Server(s -> {
      try {
        byte[] in = s.getInputStream().readAllBytes();
        OutputStream out = s.getOutputStream();
        out.write((tag + " " + new String(in, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  private static String roundTrip(int port, String text) throws IOException {
    try (Socket s = TcpPeers.connect(port)) {
      s.setSoTimeout(60_000);
      s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
