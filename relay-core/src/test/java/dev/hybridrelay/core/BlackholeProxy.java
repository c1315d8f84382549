package dev.hybridrelay.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-JVM TCP proxy for fault tests. {@link #blackholeExisting()} makes every connection open at
 * that moment silently swallow all data in both directions (no FIN, no RST: a half-open peer as
 * behind a dead NAT), while new connections are forwarded normally.
 */
final class BlackholeProxy implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final Thread acceptor;
  private volatile boolean closed;

  BlackholeProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "test-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Swallows all traffic of the connections open now. */
  void blackholeExisting() {
    for (Link l : links) {
      l.blackholed = true;
    }
  }

  int connectionCount() {
    return links.size();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket();
        upstream.connect(target, 5_000);
        Link link = new Link(client, upstream);
        links.add(link);
        pump(link, client, upstream);
        pump(link, upstream, client);
      } catch (IOException e) {
        if (!closed) {
          // keep accepting
          continue;
        }
      }
    }
  }

  private void pump(Link link, Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (!link.blackholed) {
            out.write(buf, 0, n);
          }
        }
        if (!link.blackholed) {
          to.shutdownOutput();
        }
      } catch (IOException e) {
        if (!link.blackholed) {
          link.close();
        }
      }
    }, "test-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Link l : links) {
      l.close();
    }
  }

  private static final class Link {
    final Socket a;
    final Socket b;
    volatile boolean blackholed;

    Link(Socket a, Socket b) {
      this.a = a;
      this.b = b;
    }

    void close() {
      try {
        a.close();
      } catch (IOException ignored) {
        // nothing
      }
      try {
        b.close();
      } catch (IOException ignored) {
        // nothing
      }
    }
  }
}
