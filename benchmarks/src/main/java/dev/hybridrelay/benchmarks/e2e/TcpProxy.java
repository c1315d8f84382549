package dev.hybridrelay.benchmarks.e2e;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The baseline "plain 1-hop TCP proxy": blocking sockets, two threads per connection, one 64 KiB
 * buffer per direction, TCP_NODELAY, half-close forwarded with {@code shutdownOutput}. This is what
 * a straightforward Java forwarder costs; the relay path is compared against it.
 *
 * <p>{@code java -cp benchmarks.jar dev.hybridrelay.benchmarks.e2e.TcpProxy <listenPort>
 * <targetHost> <targetPort>}; listens on 127.0.0.1 and prints {@code PORT=n}.
 */
public final class TcpProxy implements Closeable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Thread acceptor;

  public TcpProxy(int listenPort, InetSocketAddress target) throws IOException {
    this.target = target;
    server = new ServerSocket(listenPort, 4096, InetAddress.getByName("127.0.0.1"));
    acceptor = new Thread(this::acceptLoop, "proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket in = server.accept();
        Thread t = new Thread(() -> connect(in), "proxy-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void connect(Socket in) {
    try {
      Socket out = new Socket();
      out.setTcpNoDelay(true);
      in.setTcpNoDelay(true);
      out.connect(target, 10_000);
      AtomicInteger finished = new AtomicInteger();
      Thread back = new Thread(() -> pump(out, in, finished), "proxy-down");
      back.setDaemon(true);
      back.start();
      pump(in, out, finished);
    } catch (IOException e) {
      closeQuietly(in);
    }
  }

  /** Copies until EOF, then half-closes; the second direction to finish closes both sockets. */
  private static void pump(Socket from, Socket to, AtomicInteger finished) {
    byte[] buf = new byte[64 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
      to.shutdownOutput();
      if (finished.incrementAndGet() == 2) {
        closeQuietly(from);
        closeQuietly(to);
      }
    } catch (IOException e) {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }

  public static void main(String[] args) throws Exception {
    TcpProxy p = new TcpProxy(Integer.parseInt(args[0]),
        new InetSocketAddress(args[1], Integer.parseInt(args[2])));
    System.out.println("PORT=" + p.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
