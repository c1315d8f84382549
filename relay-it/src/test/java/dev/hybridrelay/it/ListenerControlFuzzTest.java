package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.it.support.Scenarios;
import dev.hybridrelay.testkit.Payloads;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S12, listener side: a fake relay (Java-WebSocket server) serves the library listener's control
 * channel and feeds it malformed, oversized, deeply nested, mistyped and unknown control messages,
 * and accepts whose rendezvous address points elsewhere. The listener must not crash, must never
 * connect outside the relay's host (sentinels on 127.0.0.2 count 0), and stays or gets back online.
 */
class ListenerControlFuzzTest {

  /** A fake relay: every {@code listen} upgrade is a control channel; {@code accept} ones count. */
  static final class FakeRelay extends WebSocketServer {
    final List<WebSocket> controls = new CopyOnWriteArrayList<>();
    final AtomicInteger rendezvous = new AtomicInteger();

    FakeRelay(int port) {
      super(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      setReuseAddr(true);
    }

    WebSocket control() {
      for (int i = controls.size() - 1; i >= 0; i--) {
        if (controls.get(i).isOpen()) {
          return controls.get(i);
        }
      }
      return null;
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
      String d = handshake.getResourceDescriptor();
      if (d.contains("sb-hc-action=listen")) {
        controls.add(conn);
      } else if (d.contains("sb-hc-action=accept")) {
        rendezvous.incrementAndGet();
      }
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
    }

    @Override
    public void onStart() {
    }
  }

  /** Counts TCP connections accepted on {@code bind}. */
  static final class Sentinel implements AutoCloseable {
    final ServerSocket server;
    final AtomicInteger accepted = new AtomicInteger();

    Sentinel(InetAddress bind) throws Exception {
      server = new ServerSocket(0, 50, bind);
      Thread t = new Thread(() -> {
        while (!server.isClosed()) {
          try (java.net.Socket s = server.accept()) {
            accepted.incrementAndGet();
          } catch (Exception e) {
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
    public void close() throws Exception {
      server.close();
    }
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static String q(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static String accept(String address) {
    return "{\"accept\":{\"address\":" + q(address) + ",\"id\":\"fuzz\",\"connectHeaders\":{}}}";
  }

  @Test
  @Timeout(180)
  void s12ListenerSideJsonFuzz() throws Exception {
    long seed = Payloads.seed("S12-listener");
    SplittableRandom r = new SplittableRandom(seed);
    int port = freePort();
    FakeRelay fake = new FakeRelay(port);
    fake.start();
    AtomicInteger uncaught = new AtomicInteger();
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
      uncaught.incrementAndGet();
      System.err.println("uncaught in " + t.getName() + ": " + e);
    });
    try (Sentinel foreign = new Sentinel(InetAddress.getByName("127.0.0.2"));
        Sentinel sameHostOtherPort = new Sentinel(InetAddress.getLoopbackAddress())) {
      int s = foreign.port();
      String path = "/$hc/s12?sb-hc-action=accept&sb-hc-id=fuzz";
      List<String> foreignAddresses = List.of(
          "ws://127.0.0.2:" + s + path, "wss://127.0.0.2:" + s + path,
          "ws://localhost@127.0.0.2:" + s + path, "ws://127.0.0.2:" + s + "\\@localhost" + path,
          "ws://[::ffff:127.0.0.2]:" + s + path, "ws://2130706434:" + s + path,
          "ws://0x7f000002:" + s + path, "http://127.0.0.2:" + s + path,
          "ws://127.0.0.2:" + s + "#@localhost" + path, "//127.0.0.2:" + s + path,
          "ws://localhost.127.0.0.2.nip.invalid:" + s + path, "ws:///127.0.0.2:" + s + path,
          "ws://127.0.0.2%2f@localhost:" + s + path, "ws://LOCALHOST%00.127.0.0.2:" + s + path);
      List<String> inputs = new ArrayList<>();
      // fixed cases
      inputs.add("{\"accept\":");
      inputs.add("not json at all");
      inputs.add("");
      inputs.add("\u0000\u0001\u0002");
      inputs.add("{\"launchMissiles\":{}}");
      inputs.add("{\"renewToken\":{\"token\":\"x\"}}");
      inputs.add("{\"response\":{\"requestId\":1}}");
      inputs.add("{\"request\":{\"address\":" + q(foreignAddresses.get(0)) + ",\"id\":\"r\"}}");
      inputs.add("{\"request\":{\"address\":" + q(foreignAddresses.get(0))
          + ",\"id\":\"r\",\"method\":\"GET\"}}");
      inputs.add("{\"x\":\"" + "a".repeat((1 << 20) - 16) + "\"}");
      inputs.add("{\"x\":\"" + "a".repeat(1 << 20) + "\"}");
      inputs.add("{\"accept\":{\"address\":" + q(foreignAddresses.get(0)) + ",\"pad\":\""
          + "a".repeat((1 << 20) - 300) + "\"}}");
      inputs.add("[".repeat(100_000) + "]".repeat(100_000));
      inputs.add("{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000));
      inputs.add("{\"accept\":" + "{\"address\":".repeat(2_000) + q(foreignAddresses.get(0))
          + "}".repeat(2_001));
      inputs.add("{\"accept\":" + q(foreignAddresses.get(0)) + "}");
      inputs.add("{\"accept\":{\"address\":42}}");
      inputs.add("{\"accept\":{\"address\":null}}");
      inputs.add("{\"accept\":{\"address\":[" + q(foreignAddresses.get(0)) + "]}}");
      inputs.add("{\"accept\":{\"address\":{\"host\":\"127.0.0.2\"}}}");
      inputs.add("{\"accept\":{\"address\":" + q(foreignAddresses.get(0))
          + ",\"id\":{},\"connectHeaders\":\"x\",\"remoteEndpoint\":[1]}}");
      inputs.add("{\"accept\":{\"address\":" + q(foreignAddresses.get(0)) + "},\"accept\":{}}");
      inputs.add("[" + accept(foreignAddresses.get(0)) + "]");
      inputs.add("\"" + accept(foreignAddresses.get(0)) + "\"");
      for (String a : foreignAddresses) {
        inputs.add(accept(a));
      }
      int fixed = inputs.size();
      // seeded random mutations
      String[] keys = {"accept", "request", "renewToken", "address", "id", "connectHeaders",
          "remoteEndpoint", "", "\u0000", "accept "};
      for (int i = 0; i < 300; i++) {
        StringBuilder b = new StringBuilder("{\"accept\":{");
        int fields = r.nextInt(5);
        for (int f = 0; f < fields; f++) {
          if (f > 0) {
            b.append(',');
          }
          b.append(q(keys[r.nextInt(keys.length)])).append(':');
          switch (r.nextInt(7)) {
            case 0 -> b.append(q(foreignAddresses.get(r.nextInt(foreignAddresses.size()))));
            case 1 -> b.append(r.nextLong());
            case 2 -> b.append("[").append(q("x")).append("]");
            case 3 -> b.append("{\"address\":").append(
                q(foreignAddresses.get(r.nextInt(foreignAddresses.size())))).append("}");
            case 4 -> b.append("null");
            case 5 -> b.append(r.nextBoolean());
            default -> b.append(q(Long.toHexString(r.nextLong())));
          }
        }
        b.append("}}");
        String m = b.toString();
        // sometimes truncate or corrupt a byte
        int cut = r.nextInt(4);
        if (cut == 0 && m.length() > 2) {
          m = m.substring(0, r.nextInt(m.length()));
        } else if (cut == 1) {
          char[] c = m.toCharArray();
          c[r.nextInt(c.length)] = (char) r.nextInt(0x80);
          m = new String(c);
        }
        inputs.add(m);
      }
      String cs = "Endpoint=sb://localhost:" + port + "/;SharedAccessKeyName=k;SharedAccessKey="
          + "a".repeat(44) + ";EntityPath=s12;UseDevelopmentEmulator=true";
      int reconnects;
      String finalState;
      boolean validAcceptServed;
      try (RelayListener listener = RelayListener.builder(cs)
          .keepAliveInterval(Duration.ofSeconds(5)).build()) {
        listener.open();
        int sent = 0;
        for (String m : inputs) {
          WebSocket c = null;
          long d = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          while ((c = fake.control()) == null && System.nanoTime() < d) {
            Thread.sleep(10);
          }
          if (c == null) {
            break;
          }
          try {
            c.send(m);
            sent++;
          } catch (Exception e) {
            // channel closed under us (the listener dropped it): it reconnects
          }
          if (m.length() > 100_000) {
            Thread.sleep(200);
          }
        }
        Thread.sleep(1000);
        // back online (or still online) and serving a valid accept
        long d = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!listener.isOnline() && System.nanoTime() < d) {
          Thread.sleep(20);
        }
        WebSocket c = fake.control();
        int before = fake.rendezvous.get();
        if (c != null) {
          c.send(accept("ws://localhost:" + port + path));
        }
        RelayConnection conn = listener.accept(Duration.ofSeconds(10));
        validAcceptServed = conn != null && fake.rendezvous.get() == before + 1;
        if (conn != null) {
          conn.abort();
        }
        // same host, other port: allowed (the listener may reach the relay through a proxy), reported
        WebSocket c2 = fake.control();
        if (c2 != null) {
          c2.send(accept("ws://localhost:" + sameHostOtherPort.port() + path));
        }
        Thread.sleep(1000);
        reconnects = fake.controls.size() - 1;
        finalState = listener.state().toString();
        int foreignHits = foreign.accepted.get();
        int rendezvousFromFuzz = before - 0;
        String figures = "inputs=" + inputs.size() + " fixed_cases=" + fixed + " random_cases="
            + (inputs.size() - fixed) + " sent=" + sent + " foreign_addresses="
            + foreignAddresses.size() + " sentinel_127.0.0.2_connections=" + foreignHits
            + " rendezvous_opened_by_fuzz=" + rendezvousFromFuzz + " control_reconnects="
            + reconnects + " uncaught_exceptions=" + uncaught.get() + " final_state=" + finalState
            + " valid_accept_served=" + validAcceptServed
            + " info_same_host_other_port_connections=" + sameHostOtherPort.accepted.get()
            + " seed=" + seed;
        boolean pass = foreignHits == 0 && uncaught.get() == 0 && finalState.equals("ONLINE")
            && validAcceptServed && rendezvousFromFuzz == 0 && sent == inputs.size();
        Scenarios.record("S12", pass ? "PASS" : "FAIL", "listener_side " + figures);
        assertThat(foreignHits).as(figures).isZero();
        assertThat(rendezvousFromFuzz).as(figures).isZero();
        assertThat(uncaught.get()).as(figures).isZero();
        assertThat(finalState).as(figures).isEqualTo("ONLINE");
        assertThat(validAcceptServed).as(figures).isTrue();
        assertThat(sent).as(figures).isEqualTo(inputs.size());
      }
    } finally {
      Thread.setDefaultUncaughtExceptionHandler(previous);
      fake.stop(1000);
    }
  }
}
