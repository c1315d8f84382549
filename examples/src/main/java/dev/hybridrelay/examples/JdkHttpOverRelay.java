package dev.hybridrelay.examples;

import com.sun.net.httpserver.HttpHandler;
import dev.hybridrelay.core.RelayHttpSender;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelayRequestHandler;
import dev.hybridrelay.server.LocalRelayServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A JDK {@code com.sun.net.httpserver} application exposed through the relay's HTTP request mode by
 * changing one line, and called with two stock clients ({@code java.net.http} and OkHttp) using
 * {@link RelayHttpSender} for the URL and the token. No socket factory, no client-side relay code
 * beyond one header.
 *
 * <pre>
 * java dev.hybridrelay.examples.JdkHttpOverRelay
 * </pre>
 */
public final class JdkHttpOverRelay {
  private JdkHttpOverRelay() {}

  /** The application's handler, unchanged. */
  static final HttpHandler APP = exchange -> {
    byte[] body = ("hello " + exchange.getRequestMethod() + " " + exchange.getRequestURI())
        .getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(200, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  };

  public static void main(String[] args) throws Exception {
    System.out.println(call());
  }

  /** Runs a local relay, serves {@link #APP} through it and calls it with both clients. */
  static String call() throws Exception {
    try (LocalRelayServer relay = LocalRelayServer.builder().autoCreate(true).build().start()) {
      String cs = relay.connectionString(LocalRelayServer.DEFAULT_RULE_NAME, "app");
      // before: HttpServer server = HttpServer.create(new InetSocketAddress(8080), 0);
      //         server.createContext("/", APP); server.start();
      try (RelayListener listener = RelayListener.builder(cs).requestHandler(RelayRequestHandler.of(APP)).build()) {
        listener.open();

        RelayHttpSender sender = RelayHttpSender.create(cs);
        HttpResponse<String> viaJdk = HttpClient.newHttpClient()
            .send(sender.newRequest("/inventory?sku=7").GET().build(), HttpResponse.BodyHandlers.ofString());

        OkHttpClient ok = new OkHttpClient();
        Request request = new Request.Builder().url(sender.uri("/inventory?sku=8").toString())
            .header(RelayHttpSender.TOKEN_HEADER, sender.token()).build();
        String viaOkHttp;
        try (Response r = ok.newCall(request).execute()) {
          viaOkHttp = r.code() + " " + r.body().string();
        }
        ok.dispatcher().executorService().shutdown();
        ok.connectionPool().evictAll();
        return viaJdk.statusCode() + " " + viaJdk.body() + " | " + viaOkHttp;
      }
    }
  }
}
