package dev.hybridrelay.benchmarks.e2e;

import dev.hybridrelay.forward.ForwardOptions;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.server.LocalRelayServer;
import java.net.InetAddress;

/**
 * One process of the forwarder chain, built directly on the library (the same classes the
 * {@code hybridrelay} CLI drives), for when the CLI is not available. Prints {@code READY} (and for
 * {@code serve} the namespace connection string as {@code CS=...}) and runs until killed.
 *
 * <pre>
 * ChainNode serve PORT                       LocalRelayServer on 127.0.0.1:PORT, auto-created HCs,
 *                                            connection limits raised for the idle test
 * ChainNode forward-T CS HC HOST PORT        RemoteForwarder: relay → HOST:PORT
 * ChainNode forward-L CS HC LOCAL_PORT       LocalForwarder: 127.0.0.1:LOCAL_PORT → relay
 * </pre>
 */
public final class ChainNode {
  /** Room for the idle-connection test (the default caps a forwarder at 1,000 connections). */
  private static final ForwardOptions OPTIONS =
      ForwardOptions.builder().maxConnections(50_000).build();

  private ChainNode() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "serve" -> {
        LocalRelayServer relay = LocalRelayServer.builder()
            .bindAddress("127.0.0.1").port(Integer.parseInt(args[1]))
            .autoCreate(true).maxConnections(100_000).maxPendingHandshakes(10_000)
            // every test client is 127.0.0.1: the per-address guard would cap the idle test
            .maxConnectionsPerAddress(100_000)
            .build().start();
        System.out.println("CS=" + relay.connectionString());
      }
      case "forward-T" -> {
        RemoteForwarder f = RemoteForwarder.builder(args[1]).hybridConnection(args[2])
            .target(args[3], Integer.parseInt(args[4]))
            .options(OPTIONS).build();
        f.start();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!f.isOnline() && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
      }
      case "forward-L" -> {
        LocalForwarder f = LocalForwarder.builder(args[1]).hybridConnection(args[2])
            .bindAddress(InetAddress.getByName("127.0.0.1")).port(Integer.parseInt(args[3]))
            .options(OPTIONS).build();
        f.start();
      }
      default -> throw new IllegalArgumentException("unknown role " + args[0]);
    }
    System.out.println("READY");
    System.out.flush();
    Thread.currentThread().join();
  }
}
