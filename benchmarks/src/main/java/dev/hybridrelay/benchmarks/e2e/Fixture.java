package dev.hybridrelay.benchmarks.e2e;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.socket.RelayServerSocket;
import dev.hybridrelay.socket.RelaySocket;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts everything one {@link Transport} needs inside the benchmark JVM (server, relay, listener,
 * forwarders, proxy) and opens client connections over it. Server-side connections run
 * {@link BenchServerHandler} on their own thread.
 */
public final class Fixture implements Closeable {
  static final String HC = "bench";

  /** A client connection: streams plus close. */
  public interface Conn extends Closeable {
    InputStream in() throws IOException;

    OutputStream out() throws IOException;
  }

  private final Transport transport;
  private final List<Closeable> resources = new ArrayList<>();
  private ServerSocket tcpServer;
  private TcpProxy proxy;
  private LocalRelayServer relay;
  private String connectionString;
  private RelaySender sender;
  private LocalForwarder localForwarder;

  private Fixture(Transport transport) {
    this.transport = transport;
  }

  public static Fixture start(Transport transport) throws Exception {
    Fixture f = new Fixture(transport);
    try {
      f.startAll();
    } catch (Exception e) {
      f.close();
      throw e;
    }
    return f;
  }

  private void startAll() throws Exception {
    switch (transport) {
      case TCP_DIRECT -> startTcpServer();
      case TCP_PROXY -> {
        startTcpServer();
        proxy = new TcpProxy(0, new InetSocketAddress("127.0.0.1", tcpServer.getLocalPort()));
        resources.add(proxy);
      }
      case TCP_PROXY3 -> {
        startTcpServer();
        TcpProxy third = new TcpProxy(0, new InetSocketAddress("127.0.0.1", tcpServer.getLocalPort()));
        resources.add(third);
        TcpProxy second = new TcpProxy(0, new InetSocketAddress("127.0.0.1", third.port()));
        resources.add(second);
        proxy = new TcpProxy(0, new InetSocketAddress("127.0.0.1", second.port()));
        resources.add(proxy);
      }
      case RELAY -> {
        startRelay();
        RelayListener listener = RelayListener.builder(connectionString).build();
        listener.open();
        resources.add(listener);
        daemon("bench-listener-accept", () -> {
          while (true) {
            RelayConnection c;
            try {
              c = listener.accept();
            } catch (IOException e) {
              return;
            }
            if (c == null) {
              return;
            }
            daemon("bench-listener-conn", () -> handle(c.getInputStream(), c.getOutputStream(), c));
          }
        });
        sender = RelaySender.builder(connectionString).build();
      }
      case RELAY_SOCKET -> {
        startRelay();
        RelayServerSocket ss = new RelayServerSocket(connectionString);
        resources.add(ss);
        acceptLoop(ss);
      }
      case RELAY_FORWARDER -> {
        startTcpServer();
        startRelay();
        RemoteForwarder remote = RemoteForwarder.builder(connectionString)
            .target("127.0.0.1", tcpServer.getLocalPort()).build();
        remote.start();
        resources.add(remote);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!remote.isOnline() && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        localForwarder = LocalForwarder.builder(connectionString)
            .bindAddress(InetAddress.getByName("127.0.0.1")).port(0)
            .portName(Integer.toString(tcpServer.getLocalPort())).build();
        localForwarder.start();
        resources.add(localForwarder);
      }
      default -> throw new IllegalArgumentException(transport.toString());
    }
  }

  private void startRelay() throws IOException {
    relay = LocalRelayServer.builder().hybridConnection(HC).build().start();
    resources.add(relay::close);
    connectionString = relay.connectionString(LocalRelayServer.DEFAULT_RULE_NAME, HC);
  }

  private void startTcpServer() throws IOException {
    tcpServer = new ServerSocket(0, 4096, InetAddress.getByName("127.0.0.1"));
    resources.add(tcpServer);
    acceptLoop(tcpServer);
  }

  private void acceptLoop(ServerSocket ss) {
    daemon("bench-accept", () -> {
      while (!ss.isClosed()) {
        Socket s;
        try {
          s = ss.accept();
        } catch (IOException e) {
          return;
        }
        s.setTcpNoDelay(true);
        daemon("bench-conn", () -> handle(s.getInputStream(), s.getOutputStream(), s));
      }
    });
  }

  private static void handle(InputStream in, OutputStream out, Closeable c) {
    try (c) {
      BenchServerHandler.serve(in, out);
    } catch (IOException ignored) {
      // the client went away; nothing to report in a benchmark
    }
  }

  interface IoRunnable {
    void run() throws IOException;
  }

  private static void daemon(String name, IoRunnable r) {
    Thread t = new Thread(() -> {
      try {
        r.run();
      } catch (IOException ignored) {
        // thread ends with its connection
      }
    }, name);
    t.setDaemon(true);
    t.start();
  }

  /** Opens one client connection and sends the mode byte. */
  public Conn open(int mode) throws IOException {
    Conn c = switch (transport) {
      case TCP_DIRECT -> socketConn(tcp(tcpServer.getLocalPort()));
      case TCP_PROXY, TCP_PROXY3 -> socketConn(tcp(proxy.port()));
      case RELAY_FORWARDER -> socketConn(tcp(localForwarder.localPort()));
      case RELAY_SOCKET -> socketConn(new RelaySocket(connectionString));
      case RELAY -> {
        RelayConnection rc = sender.connect(Duration.ofSeconds(30));
        yield new Conn() {
          @Override
          public InputStream in() throws IOException {
            return rc.getInputStream();
          }

          @Override
          public OutputStream out() throws IOException {
            return rc.getOutputStream();
          }

          @Override
          public void close() throws IOException {
            rc.close();
          }
        };
      }
    };
    c.out().write(mode);
    return c;
  }

  private static Socket tcp(int port) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    return s;
  }

  private static Conn socketConn(Socket s) {
    return new Conn() {
      @Override
      public InputStream in() throws IOException {
        return s.getInputStream();
      }

      @Override
      public OutputStream out() throws IOException {
        return s.getOutputStream();
      }

      @Override
      public void close() throws IOException {
        s.close();
      }
    };
  }

  @Override
  public void close() {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception ignored) {
        // best effort teardown
      }
    }
    resources.clear();
  }
}
