package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.it.support.CliChild;
import dev.hybridrelay.it.support.EchoLoad;
import dev.hybridrelay.it.support.EchoLoad.BackendConn;
import dev.hybridrelay.it.support.EchoLoad.Conn;
import dev.hybridrelay.it.support.EchoLoad.Outcome;
import dev.hybridrelay.it.support.HaProxyPool;
import dev.hybridrelay.it.support.ReverseProxy;
import dev.hybridrelay.it.support.Scenarios;
import dev.hybridrelay.server.LocalRelayServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * H1–H2: high availability with stock parts, as users run it: real {@code hybridrelay} processes
 * ({@code java -jar relay-cli/target/hybridrelay.jar}), a real HAProxy from the repository's
 * {@code deploy/haproxy} pool configurations, an echo load with SHA-256 checks, and {@code kill -9}.
 *
 * <ul>
 *   <li>H1: HAProxy → two {@code forward -L} → one relay → two {@code forward -T} on the same hybrid
 *       connection → echo. Each of the four is killed once under load and restarted.
 *   <li>H2: {@code forward -L} → HAProxy → two independent {@code serve} nodes; one {@code forward -T}
 *       registered with both ({@code --listener-endpoints}) → echo. Each node is killed once and
 *       restarted. HAProxy checks each node's {@code /readyz?hc=echo} on its metrics port, as
 *       {@code relay-pool.cfg} does, so a restarted node takes senders only once the listener is
 *       registered with it ({@code sender_404_no_listener} counts the senders that got 404 anyway).
 * </ul>
 *
 * Checked: no stream is corrupted or hangs; no backend sees a clean end before the announced length (a
 * silent truncation); every failed connection was open on a process when it was killed, or started
 * within the failover window (5 s) after a kill or a restart, and those are counted apart; every
 * restarted process carries traffic again. "Open on the killed process" is by time (open at the
 * kill), and in H1 also by record: HAProxy logs each connection (client port, server, connect time,
 * termination), so a connection HAProxy connected to the killed {@code forward -L} after the kill,
 * before the process was gone (its kernel still completed handshakes), counts as handed to the killed
 * process; and the figures say how many failures open at a kill HAProxy's log or the echo backends
 * show routed through the killed process, and through another one. Figures go to
 * {@code target/scenario-results.txt}. Tag {@code ha}, outside the default build (six JVMs, HAProxy and
 * four kills take minutes on a busy 2-core machine): {@code mvn -B -Pha -pl relay-it -am verify}, with
 * {@code -Dha.duration=SECONDS} (default 12), {@code -Dha.rate=CONNECTIONS_PER_SECOND} (default 50),
 * {@code -Dha.payload=MIN-MAX} (KiB per connection, default 16-64) and {@code -Dha.warmup=SECONDS}
 * (load without kills before the window, default 0);
 * the record run of the Reliability page is {@code -Dha.duration=60 -Dha.rate=200 -Dha.warmup=30 -Dha.payload=4-16
 * -Dha.concurrency=950}.
 */
@Tag("ha")
class HaPoolScenariosTest {
  private static final String HC = "echo";
  private static final String RULE = "pool";
  private static final int DURATION_S = Integer.getInteger("ha.duration", 12);
  private static final int RATE = Integer.getInteger("ha.rate", 50);
  /**
   * Seconds of the same load before the measured window ({@code ha.warmup}, default 0), with no
   * kill: the processes' JIT compilers do their first work, as in a pool that has run for a while.
   * Every warm-up connection must succeed; they are not counted in the window's figures.
   */
  private static final int WARMUP_S = Integer.getInteger("ha.warmup", 0);
  private static final Duration START = Duration.ofSeconds(90);
  /**
   * New connections may fail this long after a kill (HAProxy's retries and health check, the relay's
   * offer to a listener that died before it could answer) and after a restart (HAProxy's rise checks
   * against a process that is still starting): the bounded failover time; reported as its own figure.
   */
  private static final long FAILOVER_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(5);

  /** A process of the pool that is killed and restarted, and how to tell it carries traffic. */
  private static final class Member {
    final String name;
    CliChild child;
    final String readyText;
    final int readyCount;
    /** Connections carried so far (HAProxy sessions, or a backend's connections). */
    final LongSupplier carried;
    /** The HAProxy server that is this process (H1's forward -L), or null. */
    final String haproxyServer;
    /** The echo backend behind this process (H1's forward -T), or null. */
    final String backend;

    Member(String name, CliChild child, String readyText, int readyCount, LongSupplier carried, String haproxyServer,
        String backend) {
      this.name = name;
      this.child = child;
      this.readyText = readyText;
      this.readyCount = readyCount;
      this.carried = carried;
      this.haproxyServer = haproxyServer;
      this.backend = backend;
    }
  }

  /**
   * One kill: when (nanoTime, and wall clock for HAProxy's log), when the process was reaped, and
   * when the restarted process carried its first connection.
   */
  private record Kill(Member member, long killNanos, long goneNanos, long restartNanos, long backNanos, long killMillis,
      long goneMillis) {
    String name() {
      return member.name;
    }
  }

  private static String connectionString(int port, String key) {
    return "Endpoint=sb://localhost:" + port + "/;SharedAccessKeyName=" + RULE + ";SharedAccessKey=" + key
        + ";EntityPath=" + HC + ";UseDevelopmentEmulator=true";
  }

  private static List<String> serve(int port, String key, String... more) {
    List<String> args = new ArrayList<>(List.of("serve", "--bind", "127.0.0.1", "--port", Integer.toString(port),
        "--rule", RULE + "=" + key, "--hc", HC, "--keep-alive", "5s",
        // every process of the test connects from 127.0.0.1: the per-address cap would count them all
        "--max-connections-per-address", "100000"));
    args.addAll(List.of(more));
    return args;
  }

  private static Path dir(String scenario) throws Exception {
    Path d = Path.of("target", "ha", scenario).toAbsolutePath();
    if (Files.exists(d)) {
      try (var walk = Files.walk(d)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return Files.createDirectories(d);
  }

  private static long sessions(HaProxyPool haproxy, String server) {
    try {
      return haproxy.server(server).totalSessions();
    } catch (Exception e) {
      return -1;
    }
  }

  // ------------------------------------------------------------------ H1

  @Test
  @Timeout(900)
  void h1ForwarderPoolBehindHaproxy() throws Exception {
    Assumptions.assumeTrue(HaProxyPool.unavailableReason() == null, HaProxyPool.unavailableReason());
    Path dir = dir("h1");
    String key = LocalRelayServer.Builder.randomKey();
    Map<Long, BackendConn> seen = EchoLoad.Backend.record();
    List<AutoCloseable> cleanup = new ArrayList<>();
    try (EchoLoad.Backend b1 = new EchoLoad.Backend("t1", seen); EchoLoad.Backend b2 = new EchoLoad.Backend("t2", seen)) {
      int relayPort = ReverseProxy.freePort();
      CliChild relay = CliChild.start(dir, "relay", serve(relayPort, key));
      cleanup.add(relay);
      relay.awaitLog("Local relay listening", 1, START);
      String cs = connectionString(relayPort, key);
      List<String> t1Args = List.of("forward", "-x", cs, "-a", "5", "-T", HC + ":echo/127.0.0.1:" + b1.port());
      List<String> t2Args = List.of("forward", "-x", cs, "-a", "5", "-T", HC + ":echo/127.0.0.1:" + b2.port());
      int l1Port = ReverseProxy.freePort();
      int l2Port = ReverseProxy.freePort();
      List<String> l1Args = List.of("forward", "-x", cs, "-L", "127.0.0.1:" + l1Port + "/echo:" + HC);
      List<String> l2Args = List.of("forward", "-x", cs, "-L", "127.0.0.1:" + l2Port + "/echo:" + HC);
      CliChild t1 = CliChild.start(dir, "t1", t1Args);
      CliChild t2 = CliChild.start(dir, "t2", t2Args);
      CliChild l1 = CliChild.start(dir, "l1", l1Args);
      CliChild l2 = CliChild.start(dir, "l2", l2Args);
      cleanup.addAll(List.of(t1, t2, l1, l2));
      for (CliChild c : List.of(t1, t2)) {
        c.awaitLog("Forwarding hybrid connection", 1, START);
      }
      for (CliChild c : List.of(l1, l2)) {
        c.awaitLog("Forwarding 127.0.0.1:", 1, START);
      }
      int haPort = ReverseProxy.freePort();
      HaProxyPool haproxy = HaProxyPool.start(dir.resolve("haproxy"), "forwarder-pool.cfg", "bind :5432", haPort,
          "forwarders", Map.of("server fwd1 127.0.0.1:15432", "server fwd1 127.0.0.1:" + l1Port,
              "server fwd2 127.0.0.1:15433", "server fwd2 127.0.0.1:" + l2Port));
      cleanup.add(haproxy);
      haproxy.awaitUp("fwd1", START);
      haproxy.awaitUp("fwd2", START);
      List<Member> members = List.of(
          new Member("l1", l1, "Forwarding 127.0.0.1:", 1, () -> sessions(haproxy, "fwd1"), "fwd1", null),
          new Member("t1", t1, "Forwarding hybrid connection", 1, () -> count(seen, "t1"), null, "t1"),
          new Member("l2", l2, "Forwarding 127.0.0.1:", 1, () -> sessions(haproxy, "fwd2"), "fwd2", null),
          new Member("t2", t2, "Forwarding hybrid connection", 1, () -> count(seen, "t2"), null, "t2"));
      run("H1", members, haPort, seen, cleanup, m -> {
        if (m.name.startsWith("l")) {
          haproxy.awaitUp(m.name.equals("l1") ? "fwd1" : "fwd2", START);
        }
      }, haproxy, () -> "");
    } finally {
      closeAll(cleanup);
    }
  }

  // ------------------------------------------------------------------ H2

  @Test
  @Timeout(900)
  void h2RelayNodePoolWithoutSharedState() throws Exception {
    Assumptions.assumeTrue(HaProxyPool.unavailableReason() == null, HaProxyPool.unavailableReason());
    Path dir = dir("h2");
    String key = LocalRelayServer.Builder.randomKey();
    Map<Long, BackendConn> seen = EchoLoad.Backend.record();
    List<AutoCloseable> cleanup = new ArrayList<>();
    try (EchoLoad.Backend b = new EchoLoad.Backend("t", seen)) {
      int n1Port = ReverseProxy.freePort();
      int n2Port = ReverseProxy.freePort();
      int m1Port = ReverseProxy.freePort();
      int m2Port = ReverseProxy.freePort();
      // the metrics port serves /readyz?hc=..., HAProxy's health check (relay-pool.cfg)
      CliChild n1 = CliChild.start(dir, "node1", serve(n1Port, key, "--metrics-port", Integer.toString(m1Port)));
      CliChild n2 = CliChild.start(dir, "node2", serve(n2Port, key, "--metrics-port", Integer.toString(m2Port)));
      cleanup.addAll(List.of(n1, n2));
      n1.awaitLog("Local relay listening", 1, START);
      n2.awaitLog("Local relay listening", 1, START);
      int haPort = ReverseProxy.freePort();
      HaProxyPool haproxy = HaProxyPool.start(dir.resolve("haproxy"), "relay-pool.cfg", "bind :9090", haPort,
          "relays", Map.of("option httpchk GET /readyz?hc=app", "option httpchk GET /readyz?hc=" + HC,
              "server relay1 127.0.0.1:9091 check port 9191", "server relay1 127.0.0.1:" + n1Port + " check port " + m1Port,
              "server relay2 127.0.0.1:9092 check port 9192", "server relay2 127.0.0.1:" + n2Port + " check port " + m2Port));
      cleanup.add(haproxy);
      String cs = connectionString(haPort, key);
      String e1 = "sb://localhost:" + n1Port + "/";
      String e2 = "sb://localhost:" + n2Port + "/";
      CliChild t = CliChild.start(dir, "t", List.of("forward", "-x", cs, "-a", "5", "--listener-endpoints",
          e1 + "," + e2, "-T", HC + ":echo/127.0.0.1:" + b.port()));
      cleanup.add(t);
      t.awaitLog("registered with relay node " + e1, 1, START);
      t.awaitLog("registered with relay node " + e2, 1, START);
      // ready (and so in rotation) only now that the listener is registered with each node
      haproxy.awaitUp("relay1", START);
      haproxy.awaitUp("relay2", START);
      int lPort = ReverseProxy.freePort();
      CliChild l = CliChild.start(dir, "l", List.of("forward", "-x", cs, "-L", "127.0.0.1:" + lPort + "/echo:" + HC));
      cleanup.add(l);
      l.awaitLog("Forwarding 127.0.0.1:", 1, START);
      List<Member> members = List.of(
          new Member("node1", n1, "Local relay listening", 1, () -> sessions(haproxy, "relay1"), null, null),
          new Member("node2", n2, "Local relay listening", 1, () -> sessions(haproxy, "relay2"), null, null));
      int[] registrations = {1, 1};
      run("H2", members, lPort, seen, cleanup, m -> {
        int i = m.name.equals("node1") ? 0 : 1;
        registrations[i]++;
        // the listener re-registered with the restarted node, and HAProxy took it back
        t.awaitLog("registered with relay node " + (i == 0 ? e1 : e2), registrations[i], START);
        haproxy.awaitUp(i == 0 ? "relay1" : "relay2", START);
      }, null, () -> " sender_404_no_listener=" + l.count("There are no listeners connected"));
      assertThat(t.isAlive()).as("the listener process").isTrue();
    } finally {
      closeAll(cleanup);
    }
  }

  // ------------------------------------------------------------------ the run

  private interface Ready {
    void await(Member m) throws Exception;
  }

  private static long count(Map<Long, BackendConn> seen, String backend) {
    return seen.values().stream().filter(c -> c.backend().equals(backend)).count();
  }

  /**
   * Runs the load for the duration while killing each member once, evenly spaced, restarting it a
   * second later; then checks and records.
   */
  private static void run(String id, List<Member> members, int entryPort, Map<Long, BackendConn> seen,
      List<AutoCloseable> cleanup, Ready ready, HaProxyPool clientSide, java.util.function.Supplier<String> extra)
      throws Exception {
    long durationNanos = TimeUnit.SECONDS.toNanos(DURATION_S);
    long spacing = durationNanos / (members.size() + 1);
    List<Kill> kills = new ArrayList<>();
    String warmFigures = "";
    if (WARMUP_S > 0) {
      EchoLoad warm = EchoLoad.start(entryPort, RATE, 0x3a7e, 1_000_000_000L);
      Thread.sleep(TimeUnit.SECONDS.toMillis(WARMUP_S));
      List<Conn> w = warm.stop(60);
      long ok = w.stream().filter(c -> c.outcome() == Outcome.OK).count();
      warmFigures = " warmup_s=" + WARMUP_S + " warmup_connections=" + w.size() + " warmup_ok=" + ok;
      List<Conn> bad = w.stream().filter(c -> c.outcome() != Outcome.OK).limit(5).toList();
      assertThat(bad).as(id + ": connections of the warm-up (no kill) that failed:" + warmFigures).isEmpty();
    }
    EchoLoad load = EchoLoad.start(entryPort, RATE, 0x5eed);
    long t0 = System.nanoTime();
    try {
      for (int i = 0; i < members.size(); i++) {
        Member m = members.get(i);
        long at = t0 + spacing * (i + 1);
        while (System.nanoTime() < at) {
          Thread.sleep(10);
        }
        long killMillis = System.currentTimeMillis();
        long kill = System.nanoTime();
        m.child.kill();
        long gone = System.nanoTime(); // the process is reaped: its listening socket is closed
        long goneMillis = System.currentTimeMillis();
        Thread.sleep(1000);
        long restart = System.nanoTime();
        m.child = m.child.restart();
        cleanup.add(m.child);
        m.child.awaitLog(m.readyText, m.readyCount, START);
        ready.await(m);
        long before = m.carried.getAsLong();
        long back = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
          if (m.carried.getAsLong() > before) {
            back = System.nanoTime();
            break;
          }
          Thread.sleep(20);
        }
        kills.add(new Kill(m, kill, gone, restart, back, killMillis, goneMillis));
      }
      while (System.nanoTime() < t0 + durationNanos) {
        Thread.sleep(50);
      }
    } finally {
      long elapsed = System.nanoTime() - t0; // the launch window: the rate is connections started per second of it
      List<Conn> conns = load.stop(120);
      Thread.sleep(500); // HAProxy logs a connection when it ends
      List<HaProxyPool.LoggedConnection> logged = clientSide == null ? List.of() : clientSide.connections();
      check(id, conns, kills, seen, load, elapsed, logged, extra.get() + warmFigures);
    }
  }

  /**
   * Where HAProxy's log says a client connection went: the logged connection from the same client
   * port accepted nearest to the connection's start (within 5 s), or null.
   */
  private static HaProxyPool.LoggedConnection logged(Map<Integer, List<HaProxyPool.LoggedConnection>> byPort, Conn c) {
    HaProxyPool.LoggedConnection best = null;
    for (HaProxyPool.LoggedConnection l : byPort.getOrDefault(c.localPort(), List.of())) {
      long d = Math.abs(l.acceptMillis() - c.startMillis());
      if (d <= 5_000 && (best == null || d < Math.abs(best.acceptMillis() - c.startMillis()))) {
        best = l;
      }
    }
    return best;
  }

  /**
   * Whether the record shows that the connection was carried by the killed process: HAProxy's log
   * names the killed forwarder as its server and HAProxy's connect to it succeeded, or the echo
   * backend behind the killed listener saw it. Null: no record to tell (H2, where the client side
   * has no proxy log, or a connection that reached no backend).
   */
  private static Boolean routedThrough(Kill k, Conn c, HaProxyPool.LoggedConnection log, Map<Long, BackendConn> seen) {
    if (k.member().haproxyServer != null) {
      return log == null ? null : log.server().equals(k.member().haproxyServer) && log.connectMillis() >= 0;
    }
    if (k.member().backend != null) {
      BackendConn b = seen.get(c.id());
      return b == null ? null : b.backend().equals(k.member().backend);
    }
    return null;
  }

  private static void check(String id, List<Conn> conns, List<Kill> kills, Map<Long, BackendConn> seen,
      EchoLoad load, long elapsedNanos, List<HaProxyPool.LoggedConnection> proxyLog, String extra) {
    Map<Integer, List<HaProxyPool.LoggedConnection>> byPort = new java.util.HashMap<>();
    for (HaProxyPool.LoggedConnection l : proxyLog) {
      byPort.computeIfAbsent(l.clientPort(), p -> new ArrayList<>()).add(l);
    }
    Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
    for (Outcome o : Outcome.values()) {
      outcomes.put(o, 0);
    }
    List<Conn> unattributed = new ArrayList<>();
    List<Conn> duringFailover = new ArrayList<>();
    StringBuilder failoverDetail = new StringBuilder();
    int inListenQueue = 0;
    int openAtKill = 0;
    int confirmed = 0;
    int contradicted = 0;
    StringBuilder contradictions = new StringBuilder();
    Map<String, Integer> failedPerKill = new LinkedHashMap<>();
    Map<String, Integer> queuedPerKill = new LinkedHashMap<>();
    Map<String, Long> detectMs = new LinkedHashMap<>();
    for (Kill k : kills) {
      failedPerKill.put(k.name(), 0);
      queuedPerKill.put(k.name(), 0);
      detectMs.put(k.name(), 0L);
    }
    for (Conn c : conns) {
      outcomes.merge(c.outcome(), 1, Integer::sum);
      if (c.outcome() == Outcome.OK) {
        continue;
      }
      HaProxyPool.LoggedConnection log = logged(byPort, c);
      Kill by = null;
      for (Kill k : kills) {
        if (c.startNanos() <= k.killNanos() && c.endNanos() >= k.killNanos()) {
          by = k;
          break;
        }
      }
      if (by == null) {
        // Handed to the killed process after the kill, before it was gone: HAProxy connected to it
        // (its kernel still completed the handshake on the listening socket), and the process died
        // with the connection. Counted as open on the killed process only on HAProxy's own record.
        for (Kill k : kills) {
          if (k.member().haproxyServer != null && log != null && log.server().equals(k.member().haproxyServer)
              && log.connectMillis() >= 0 && log.acceptMillis() >= k.killMillis() - 5
              && log.acceptMillis() + log.connectMillis() <= k.goneMillis() + 5 && !seen.containsKey(c.id())) {
            by = k;
            inListenQueue++;
            queuedPerKill.merge(k.name(), 1, Integer::sum);
            break;
          }
        }
      } else {
        openAtKill++;
        Boolean through = routedThrough(by, c, log, seen);
        if (Boolean.TRUE.equals(through)) {
          confirmed++;
        } else if (Boolean.FALSE.equals(through)) {
          contradicted++;
          if (contradicted <= 20) {
            contradictions.append(' ').append(by.name()).append(':').append(c.id()).append(':')
                .append(log == null ? "-" : log.server()).append(':')
                .append(seen.containsKey(c.id()) ? seen.get(c.id()).backend() : "no_backend");
          }
        }
      }
      if (by == null) {
        boolean inWindow = false;
        for (Kill k : kills) {
          long after = c.startNanos() - k.killNanos();
          boolean afterKill = after >= 0 && after <= FAILOVER_WINDOW_NANOS;
          boolean restarting = k.backNanos() > 0 && c.startNanos() >= k.restartNanos()
              && c.startNanos() <= k.backNanos() + FAILOVER_WINDOW_NANOS;
          inWindow |= afterKill || restarting;
        }
        (inWindow ? duringFailover : unattributed).add(c);
        failoverDetail.append(describe(c, kills, seen, log));
      } else {
        failedPerKill.merge(by.name(), 1, Integer::sum);
        detectMs.merge(by.name(), (c.endNanos() - by.killNanos()) / 1_000_000, Math::max);
      }
    }
    long silent = seen.values().stream().filter(b -> b.end() == EchoLoad.BackendEnd.SILENT_TRUNCATION).count();
    long backendResets = seen.values().stream().filter(b -> b.end() == EchoLoad.BackendEnd.RESET).count();
    StringBuilder per = new StringBuilder();
    long maxBack = 0;
    for (Kill k : kills) {
      long backMs = k.backNanos() < 0 ? -1 : (k.backNanos() - k.restartNanos()) / 1_000_000;
      maxBack = backMs < 0 ? Long.MAX_VALUE : Math.max(maxBack, backMs);
      per.append(' ').append(k.name()).append("_failed=").append(failedPerKill.get(k.name()))
          .append(' ').append(k.name()).append("_of_them_handed_over_after_the_kill=").append(queuedPerKill.get(k.name()))
          .append(' ').append(k.name()).append("_detect_ms=").append(detectMs.get(k.name()))
          .append(' ').append(k.name()).append("_restart_to_traffic_ms=").append(backMs)
          .append(' ').append(k.name()).append("_kill_to_gone_ms=").append((k.goneNanos() - k.killNanos()) / 1_000_000);
    }
    double seconds = elapsedNanos / 1e9;
    String figures = "duration_s=" + Math.round(seconds) + " payload=" + load.payloadRange() + " rate_target=" + load.rate()
        + " connections=" + conns.size() + " rate_achieved=" + Math.round(conns.size() / seconds)
        + " skipped=" + load.skipped()
        + " ok=" + outcomes.get(Outcome.OK) + " error=" + outcomes.get(Outcome.ERROR)
        + " short_eof=" + outcomes.get(Outcome.SHORT_EOF) + " timeout=" + outcomes.get(Outcome.TIMEOUT)
        + " corrupt=" + outcomes.get(Outcome.CORRUPT)
        + " failed_open_at_a_kill=" + openAtKill
        + " of_them_routed_through_the_killed_process_per_record=" + confirmed
        + " of_them_routed_elsewhere_per_record=" + contradicted
        + " failed_handed_to_the_killed_process_after_the_kill_per_haproxy_log=" + inListenQueue
        + " haproxy_logged_connections=" + proxyLog.size()
        + " new_connections_failed_in_failover=" + duringFailover.size()
        + " failed_outside_failover=" + unattributed.size()
        + " backend_silent_truncations=" + silent + " backend_resets=" + backendResets + per + extra;
    boolean pass = outcomes.get(Outcome.CORRUPT) == 0 && outcomes.get(Outcome.TIMEOUT) == 0 && silent == 0
        && unattributed.isEmpty() && maxBack != Long.MAX_VALUE && kills.size() > 0
        && outcomes.get(Outcome.OK) > 0;
    if (failoverDetail.length() > 0) {
      figures += " failover_failures=[" + failoverDetail.toString().trim() + "]";
    }
    if (contradictions.length() > 0) {
      figures += " routed_elsewhere=[" + contradictions.toString().trim() + "]";
    }
    if (pass) {
      Scenarios.pass(id, figures);
    } else {
      Scenarios.fail(id, figures);
    }
    assertThat(outcomes.get(Outcome.CORRUPT)).as("corrupted streams: " + figures).isZero();
    assertThat(silent).as("streams the backend saw end cleanly before their length: " + figures).isZero();
    assertThat(outcomes.get(Outcome.TIMEOUT)).as("streams that hung: " + figures).isZero();
    assertThat(unattributed).as("connections that failed although no process died while they were open and "
        + "they started more than " + FAILOVER_WINDOW_NANOS / 1_000_000 + " ms after a kill or a restart: " + figures
        + " kills=" + kills).isEmpty();
    assertThat(kills).as("every killed process carried traffic again after its restart: " + figures)
        .allMatch(k -> k.backNanos() > 0);
    assertThat(outcomes.get(Outcome.OK)).as(figures).isGreaterThan(conns.size() / 2);
  }

  /**
   * One failed connection of the failover window: the nearest kill or restart before its start (and
   * how long before), its outcome and error, and the backend it reached, if any.
   */
  private static String describe(Conn c, List<Kill> kills, Map<Long, BackendConn> seen,
      HaProxyPool.LoggedConnection log) {
    String near = "?";
    long best = Long.MAX_VALUE;
    for (Kill k : kills) {
      for (long[] ev : new long[][] {{k.killNanos(), 0}, {k.restartNanos(), 1}}) {
        long d = c.startNanos() - ev[0];
        if (d >= 0 && d < best) {
          best = d;
          near = k.name() + (ev[1] == 0 ? "_kill" : "_restart");
        }
      }
    }
    BackendConn b = seen.get(c.id());
    return " " + near + "+" + best / 1_000_000 + "ms:" + c.outcome() + ":"
        + (b == null ? "no_backend" : b.backend() + "/" + b.end()) + ":"
        + String.valueOf(c.detail()).replace(' ', '_')
        + (log == null ? "" : ":haproxy=" + log.server() + "/" + log.connectMillis() + "ms/" + log.termination());
  }

  private static void closeAll(List<AutoCloseable> cleanup) {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      try {
        cleanup.get(i).close();
      } catch (Exception e) {
        // best effort
      }
    }
  }
}
