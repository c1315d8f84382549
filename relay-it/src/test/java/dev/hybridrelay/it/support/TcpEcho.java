package dev.hybridrelay.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain TCP echo server on 127.0.0.1: copies each connection back until EOF, then shuts its
 * output down (half-close kept). Nagle ({@code TCP_NODELAY} off) is chosen per connection from a
 * seeded generator when {@code randomNagle} is set, otherwise {@code TCP_NODELAY} is on.
 */
public final class TcpEcho implements AutoCloseable {
  private final ServerSocket server;
  private final AtomicInteger completed = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();

  private TcpEcho(boolean randomNagle, long seed) throws IOException {
    server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    SplittableRandom r = new SplittableRandom(seed);
    Thread t = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          s.setTcpNoDelay(!randomNagle || r.nextBoolean());
          Thread c = new Thread(() -> echo(s), "test-tcp-echo-conn");
          c.setDaemon(true);
          c.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "test-tcp-echo");
    t.setDaemon(true);
    t.start();
  }

  /** An echo server with TCP_NODELAY on. */
  public static TcpEcho start() throws IOException {
    return new TcpEcho(false, 0);
  }

  /** An echo server choosing Nagle on/off per connection from {@code seed}. */
  public static TcpEcho startRandomNagle(long seed) throws IOException {
    return new TcpEcho(true, seed);
  }

  private void echo(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
      s.shutdownOutput();
      // wait for the peer to close so that the FIN is not followed by an RST
      s.setSoTimeout(10_000);
      while (in.read(buf) >= 0) {
        // nothing more expected
      }
      completed.incrementAndGet();
    } catch (IOException e) {
      failed.incrementAndGet();
    }
  }

  /** The port. */
  public int port() {
    return server.getLocalPort();
  }

  /** Connections echoed to the end. */
  public int completed() {
    return completed.get();
  }

  /** Connections that failed. */
  public int failed() {
    return failed.get();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
