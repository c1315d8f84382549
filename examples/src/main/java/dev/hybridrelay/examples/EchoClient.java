package dev.hybridrelay.examples;

import dev.hybridrelay.socket.RelaySocket;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The client side of {@link EchoServer}: sends a line, half-closes, prints what came back. As with
 * the server, only the line creating the socket differs from plain TCP.
 *
 * <pre>
 * java dev.hybridrelay.examples.EchoClient "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=...;EntityPath=echo" "hello"
 * </pre>
 */
public final class EchoClient {
  private EchoClient() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: EchoClient <connection string with EntityPath> <text>");
      System.exit(2);
    }
    System.out.println(echo(args[0], args[1]));
  }

  /** Sends {@code text} through the relay and returns the echo. */
  public static String echo(String connectionString, String text) throws IOException {
    // try (Socket s = new Socket("localhost", 7000)) {       // before
    try (Socket s = new RelaySocket(connectionString)) {      // after
      s.setSoTimeout(30_000);
      s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput(); // the server sees end-of-stream and finishes
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
