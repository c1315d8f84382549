package dev.hybridrelay.forward;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** Small real TCP servers for forwarding tests: each accepted connection is handled on its own thread. */
final class TcpPeers {
  private TcpPeers() {}

  /** A loopback server that runs {@code handler} per connection and counts accepts. */
  static final class Server implements AutoCloseable {
    final ServerSocket serverSocket;
    final AtomicInteger accepted = new AtomicInteger();

    Server(Consumer<Socket> handler) throws IOException {
      serverSocket = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
      Thread t = new Thread(() -> {
        while (!serverSocket.isClosed()) {
          try {
            Socket s = serverSocket.accept();
            accepted.incrementAndGet();
            Thread h = new Thread(() -> {
              try (s) {
                handler.accept(s);
              } catch (IOException | RuntimeException e) {
                // peer-specific, the test asserts on the client side
              }
            }, "test-peer");
            h.setDaemon(true);
            h.start();
          } catch (IOException e) {
            return;
          }
        }
      }, "test-peer-accept");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return serverSocket.getLocalPort();
    }

    InetSocketAddress address() {
      return (InetSocketAddress) serverSocket.getLocalSocketAddress();
    }

    @Override
    public void close() throws IOException {
      serverSocket.close();
    }
  }

  /** Echoes every byte, then shuts down its output after the client's end of stream. */
  static Server echo() throws IOException {
    return new Server(s -> {
      try {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[32 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
        }
        s.shutdownOutput();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  /** Reads everything until EOF and returns it. */
  static byte[] readAll(InputStream in) throws IOException {
    return in.readAllBytes();
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
    s.setSoTimeout(30_000);
    return s;
  }
}
