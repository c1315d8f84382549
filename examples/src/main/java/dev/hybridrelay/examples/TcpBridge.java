package dev.hybridrelay.examples;

import dev.hybridrelay.socket.RelayServerSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener side of the socket-factory examples, in plain {@code java.net} code: accept a
 * connection from a {@link RelayServerSocket}, open a TCP connection to a local service, copy bytes
 * both ways (passing half-closes on), close both when done. The library's {@code RemoteForwarder}
 * does the same with bounded buffers, limits and metrics; this is the few-line version.
 */
public final class TcpBridge implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TcpBridge.class);
  private final ServerSocket server;
  private final Thread acceptor;

  private TcpBridge(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.acceptor = new Thread(() -> acceptLoop(target), "bridge-accept");
    this.acceptor.setDaemon(true);
    this.acceptor.start();
  }

  /** Starts bridging connections accepted on {@code server} to {@code target}. */
  public static TcpBridge start(ServerSocket server, InetSocketAddress target) {
    return new TcpBridge(server, target);
  }

  private void acceptLoop(InetSocketAddress target) {
    while (!server.isClosed()) {
      try {
        Socket relayed = server.accept();
        Socket local = new Socket();
        try {
          local.connect(target, 10_000);
        } catch (IOException e) {
          LOG.warn("Cannot reach {}: {}", target, e.toString());
          relayed.setSoLinger(true, 0); // report the failure as an abort, not as a clean end
          relayed.close();
          continue;
        }
        AtomicInteger finished = new AtomicInteger();
        pump(relayed, local, finished);
        pump(local, relayed, finished);
      } catch (SocketException e) {
        if (!server.isClosed()) {
          LOG.warn("Accept failed: {}", e.toString());
        }
        return;
      } catch (IOException e) {
        LOG.warn("Accept failed: {}", e.toString());
      }
    }
  }

  private static void pump(Socket from, Socket to, AtomicInteger finished) {
    Thread t = new Thread(() -> {
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        in.transferTo(out);
        to.shutdownOutput(); // end-of-stream travels on, the other direction keeps going
        if (finished.incrementAndGet() == 2) {
          closeBoth(from, to);
        }
      } catch (IOException e) {
        closeBoth(from, to); // a failure in one direction ends both
      }
    }, "bridge-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeBoth(Socket a, Socket b) {
    try {
      a.close();
    } catch (IOException ignored) {
      // already failing
    }
    try {
      b.close();
    } catch (IOException ignored) {
      // already failing
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
