package dev.hybridrelay.socket;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;

/** The contract run against the JDK's own sockets on loopback: the reference behaviour. */
class JdkSocketContractTest extends SocketContractTest {

  @Override
  protected ServerSocket newServerSocket() throws IOException {
    return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }

  @Override
  protected Socket connectTo(ServerSocket server) throws IOException {
    return new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
  }

  @Override
  protected Socket newUnconnectedSocket() {
    return new Socket();
  }

  @Override
  protected SocketAddress addressOf(ServerSocket server) {
    return server.getLocalSocketAddress();
  }

  @Override
  protected SocketAddress addressWithoutListener() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
    }
  }
}
