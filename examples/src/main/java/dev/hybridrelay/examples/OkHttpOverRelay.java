package dev.hybridrelay.examples;

import com.sun.net.httpserver.HttpServer;
import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.socket.RelayServerSocket;
import dev.hybridrelay.socket.RelaySocketFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import okhttp3.Dns;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * OkHttp calling an HTTP service that is reachable only through the relay. Two settings do it:
 * {@code socketFactory(RelaySocketFactory)} sends every connection through the relay, and a
 * {@link Dns} that answers with a placeholder address keeps OkHttp from resolving a host name that
 * exists only behind the relay (OkHttp resolves before it asks the factory for a socket; the relay
 * socket ignores the address and maps the host name instead).
 *
 * <pre>
 * java dev.hybridrelay.examples.OkHttpOverRelay
 * </pre>
 */
public final class OkHttpOverRelay {
  private OkHttpOverRelay() {}

  public static void main(String[] args) throws Exception {
    System.out.println(call());
  }

  /** A DNS that resolves every name to a placeholder: the relay socket never uses the address. */
  static final Dns RELAY_DNS = hostname -> {
    try {
      return List.of(InetAddress.getByAddress(hostname, new byte[] {(byte) 192, 0, 2, 1})); // TEST-NET-1
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  };

  /** Starts a local relay and an HTTP service behind it, and returns the response OkHttp got. */
  public static String call() throws Exception {
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/hello", exchange -> {
      byte[] body = ("hello from behind the relay, you asked for " + exchange.getRequestHeaders().getFirst("Host"))
          .getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    http.start();
    try (LocalRelayServer relay = LocalRelayServer.builder().port(0).autoCreate(true).build().start()) {
      String cs = relay.connectionString(LocalRelayServer.DEFAULT_RULE_NAME, "inventory-api");
      TcpBridge bridge = TcpBridge.start(new RelayServerSocket(cs), http.getAddress());
      try {
        OkHttpClient client = new OkHttpClient.Builder()
            .socketFactory(RelaySocketFactory.forConnectionString(cs))
            .dns(RELAY_DNS)
            .build();
        Request request = new Request.Builder().url("http://inventory.internal/hello").build();
        try (Response response = client.newCall(request).execute()) {
          return response.code() + " " + response.body().string();
        } finally {
          client.dispatcher().executorService().shutdown();
          client.connectionPool().evictAll();
        }
      } finally {
        bridge.close();
      }
    } finally {
      http.stop(0);
    }
  }
}
