package dev.hybridrelay.benchmarks.e2e;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The baseline "plain TCP proxy hop": blocking sockets, one thread pair per connection (taken from
 * a pool of reused threads, so a short connection does not pay for starting two threads), one
 * 64 KiB buffer per direction, TCP_NODELAY on both sockets, half-close forwarded with
 * {@code shutdownOutput}. This is what a straightforward Java forwarder costs; the relay path is
 * compared against one such process (1 hop) and against three of them in a row (the same hops as
 * forward -L → relay → forward -T).
 *
 * <p>{@code java -cp benchmarks.jar dev.hybridrelay.benchmarks.e2e.TcpProxy <listenPort> <targetHost>
 * <targetPort> [<listenPort> <targetHost> <targetPort> ...]}; listens on 127.0.0.1 (one listener
 * per triple, all in this process) and prints {@code PORT=n} for each.
 */
public final class TcpProxy implements Closeable {
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "proxy-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  });

  private final ServerSocket server;
  private final InetSocketAddress target;

  public TcpProxy(int listenPort, InetSocketAddress target) throws IOException {
    this.target = target;
    server = new ServerSocket(listenPort, 4096, InetAddress.getByName("127.0.0.1"));
    Thread acceptor = new Thread(this::acceptLoop, "proxy-accept-" + server.getLocalPort());
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
        POOL.execute(() -> connect(in));
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
      POOL.execute(() -> pump(out, in, finished));
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
    if (args.length == 0 || args.length % 3 != 0) {
      System.err.println("usage: TcpProxy LISTEN_PORT TARGET_HOST TARGET_PORT [LISTEN_PORT TARGET_HOST TARGET_PORT ...]");
      System.exit(2);
    }
    List<TcpProxy> proxies = new ArrayList<>();
    for (int i = 0; i < args.length; i += 3) {
      proxies.add(new TcpProxy(Integer.parseInt(args[i]),
          new InetSocketAddress(args[i + 1], Integer.parseInt(args[i + 2]))));
    }
    for (TcpProxy p : proxies) {
      System.out.println("PORT=" + p.port());
    }
    System.out.flush();
    Thread.currentThread().join();
  }
}
