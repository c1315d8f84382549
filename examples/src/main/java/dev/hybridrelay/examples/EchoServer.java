package dev.hybridrelay.examples;

import dev.hybridrelay.socket.RelayServerSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An echo server written against plain {@link ServerSocket}/{@link Socket}, moved onto the relay by
 * changing one line. Everything after the constructor is ordinary {@code java.net} code.
 *
 * <pre>
 * java dev.hybridrelay.examples.EchoServer "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=...;EntityPath=echo"
 * </pre>
 */
public final class EchoServer {
  private static final Logger LOG = LoggerFactory.getLogger(EchoServer.class);

  private EchoServer() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: EchoServer <connection string with EntityPath>");
      System.exit(2);
    }
    // ServerSocket server = new ServerSocket(7000);        // before: a local TCP port
    ServerSocket server = new RelayServerSocket(args[0]);   // after: the one line that changed
    LOG.info("Echo server listening on {}", server.getLocalSocketAddress());
    serve(server);
  }

  /** Accepts until {@code server} is closed; echoes each connection on its own thread. */
  public static void serve(ServerSocket server) throws IOException {
    try (server) {
      while (true) {
        Socket s;
        try {
          s = server.accept();
        } catch (SocketException e) {
          if (server.isClosed()) {
            return; // closed from another thread: the normal way to stop
          }
          throw e;
        }
        Thread t = new Thread(() -> echo(s), "echo-" + s.getPort());
        t.setDaemon(true);
        t.start();
      }
    }
  }

  private static void echo(Socket s) {
    try (s) {
      LOG.info("Echoing for {}:{}", s.getInetAddress().getHostAddress(), s.getPort());
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      in.transferTo(out); // until the client shuts down its output
    } catch (IOException e) {
      LOG.warn("Echo connection failed: {}", e.toString());
    }
  }
}
