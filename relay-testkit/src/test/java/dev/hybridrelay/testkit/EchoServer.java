package dev.hybridrelay.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A plain JDK TCP echo server that propagates half-close (EOF in, FIN out). */
final class EchoServer implements AutoCloseable {
  private final ServerSocket server;
  private final Thread acceptor;

  EchoServer() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::loop, "test-echo-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
  }

  private void loop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> echo(s), "test-echo");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void echo(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
      s.shutdownOutput();
      // wait for the peer to close
      while (in.read(buf) >= 0) {
        // drain
      }
    } catch (IOException e) {
      // peer reset
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
