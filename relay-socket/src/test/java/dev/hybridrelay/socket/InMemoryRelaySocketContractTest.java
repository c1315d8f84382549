package dev.hybridrelay.socket;

import dev.hybridrelay.core.RelayConnectionString;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;

/**
 * The contract run against the relay sockets over {@link InMemoryRelay}: checks the socket adapter
 * alone, fast and deterministically. {@link RelaySocketContractTest} runs it through a real relay.
 */
class InMemoryRelaySocketContractTest extends SocketContractTest {
  static final RelayConnectionString CS = RelayConnectionString.parse(
      "Endpoint=sb://relay.example/;SharedAccessKeyName=root;SharedAccessKey=secret;EntityPath=echo");

  private final InMemoryRelay relay = new InMemoryRelay(256 * 1024);

  @Override
  protected ServerSocket newServerSocket() throws IOException {
    return new RelayServerSocket(relay.acceptor("echo"), RelaySocketAddress.of(CS));
  }

  @Override
  protected Socket connectTo(ServerSocket server) throws IOException {
    Socket s = newUnconnectedSocket();
    s.connect(addressOf(server));
    return s;
  }

  @Override
  protected Socket newUnconnectedSocket() throws IOException {
    return new RelaySocket(CS, RelayHostMapping.entityPath(), relay.connector());
  }

  @Override
  protected SocketAddress addressOf(ServerSocket server) {
    return server.getLocalSocketAddress();
  }

  @Override
  protected SocketAddress addressWithoutListener() {
    return RelaySocketAddress.of(CS, "nobody");
  }

  @Override
  protected String deviation(Behaviour behaviour) {
    return RelaySocketDeviations.reason(behaviour);
  }
}
