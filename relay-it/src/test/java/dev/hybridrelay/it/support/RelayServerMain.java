package dev.hybridrelay.it.support;

import dev.hybridrelay.server.LocalRelayServer;
import java.time.Duration;

/**
 * Child-process relay for process-level scenarios (F1 kill -9, F10 SIGTERM).
 * Args: {@code port key graceMillis [maxConnectionsPerAddress maxPendingHandshakes
 * handshakeTimeoutMillis]}. Prints {@code RELAY PORT=<port>} once listening. On SIGTERM
 * it shuts the relay down gracefully (refuse new, let in-flight finish within the grace period,
 * abort the rest), prints {@code RELAY STOPPED}, and exits 0.
 */
public final class RelayServerMain {
  private RelayServerMain() {
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String key = args[1];
    long grace = Long.parseLong(args[2]);
    LocalRelayServer.Builder b = LocalRelayServer.builder().port(port).autoCreate(true)
        .rule(RelayFixture.RULE, key).shutdownGracePeriod(Duration.ofMillis(grace));
    if (args.length >= 6) {
      b.maxConnectionsPerAddress(Integer.parseInt(args[3]))
          .maxPendingHandshakes(Integer.parseInt(args[4]))
          .handshakeTimeout(Duration.ofMillis(Long.parseLong(args[5])));
    }
    LocalRelayServer server = b.build().start();
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), sig -> {
      Thread t = new Thread(() -> {
        server.shutdown(Duration.ofMillis(grace));
        System.out.println("RELAY STOPPED");
        System.out.flush();
        Runtime.getRuntime().halt(0);
      }, "relay-main-sigterm");
      t.start();
    });
    System.out.println("RELAY PORT=" + server.port());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
