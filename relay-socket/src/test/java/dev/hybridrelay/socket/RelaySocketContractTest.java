package dev.hybridrelay.socket;

import dev.hybridrelay.server.LocalRelayExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract run against {@link RelaySocket} and {@link RelayServerSocket} through a real
 * {@link dev.hybridrelay.server.LocalRelayServer}: WebSocket handshakes, rendezvous, splicing,
 * half-close and aborts all take the same path as against Azure Relay.
 */
class RelaySocketContractTest extends SocketContractTest {
  @RegisterExtension
  static final LocalRelayExtension RELAY = LocalRelayExtension.create();
  private static final AtomicInteger IDS = new AtomicInteger();

  @Override
  protected ServerSocket newServerSocket() throws IOException {
    return new RelayServerSocket(RELAY.connectionString("contract-" + IDS.incrementAndGet()));
  }

  @Override
  protected Socket connectTo(ServerSocket server) throws IOException {
    String entity = ((RelayServerSocket) server).getRelaySocketAddress().entityPath();
    return new RelaySocket(RELAY.connectionString(entity));
  }

  @Override
  protected Socket newUnconnectedSocket() throws IOException {
    return new RelaySocket();
  }

  @Override
  protected SocketAddress addressOf(ServerSocket server) {
    return server.getLocalSocketAddress();
  }

  @Override
  protected SocketAddress addressWithoutListener() {
    return RelaySocketAddress.of(RELAY.connectionString("nobody-" + IDS.incrementAndGet()));
  }

  @Override
  protected String deviation(Behaviour behaviour) {
    return RelaySocketDeviations.reason(behaviour);
  }
}
