package dev.hybridrelay.cli;

import ch.qos.logback.classic.Level;
import com.sun.net.httpserver.HttpServer;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.forward.HttpForwarder;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hybridrelay demo}: the whole hybrid relay pattern in one process. Starts a local relay, a
 * small web service, a remote forwarder to the service and a local forwarder to the relay, and
 * prints the local URL that reaches the service through all of them.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Runs the hybrid relay pattern on this machine: a local relay, a web service behind a",
        "remote forwarder, and a local forwarder. Prints the URL to open; runs until Ctrl-C."},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  stopped normally, or --self-test passed",
        "  1  startup failed, or --self-test failed"})
public final class DemoCommand implements Callable<Integer> {
  static final String HYBRID_CONNECTION = "demo";
  static final String PORT_NAME = "web";
  /** The hybrid connection of the HTTP path ({@code -H}); open to senders without a token. */
  static final String HTTP_HYBRID_CONNECTION = "demo-http";
  static final int DEFAULT_PORT = 8080;

  @Option(names = "--port", paramLabel = "N",
      description = "Local forwarder port. Default " + DEFAULT_PORT + ", or a free port if " + DEFAULT_PORT + " is taken.")
  Integer port;

  @Option(names = "--self-test", description = "Fetch the URL once through the whole chain, print the result, exit 0 on success, 1 on failure.")
  boolean selfTest;

  @Option(names = {"-v", "--verbose"}, description = "Log debugging details.")
  boolean verbose;

  PrintStream out = System.out;

  @Override
  public Integer call() {
    CliLogging.configure(verbose, false);
    if (!verbose) {
      CliLogging.setLevel("dev.hybridrelay", Level.WARN);
      CliLogging.setLevel(HttpForwarder.class.getName() + ".requests", Level.INFO); // like the TCP lines
    }
    Demo demo = new Demo();
    try {
      demo.start();
    } catch (IOException | RuntimeException e) {
      System.err.println("hybridrelay demo: " + e.getMessage());
      demo.close();
      return 1;
    }
    printIntro(demo);
    if (selfTest) {
      boolean ok = selfTest(demo);
      demo.close();
      return ok ? 0 : 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      out.println();
      out.println("Stopping: closing the forwarders, the web service and the relay.");
      demo.close();
      stopped.countDown();
    }, "hybridrelay-demo-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** The running pieces. */
  final class Demo implements AutoCloseable {
    LocalRelayServer relay;
    HttpServer web;
    RemoteForwarder remote;
    LocalForwarder local;
    HttpForwarder http;
    boolean fellBack;
    final AtomicLong pagesServed = new AtomicLong();

    void start() throws IOException {
      String rule = "demo";
      relay = LocalRelayServer.builder().port(0).rule(rule, LocalRelayServer.Builder.randomKey()).autoCreate(true)
          .hybridConnection(HTTP_HYBRID_CONNECTION, false).build().start();
      RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(rule, HYBRID_CONNECTION));

      web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      web.createContext("/", exchange -> {
        long n = pagesServed.incrementAndGet();
        boolean viaHttp = exchange.getRequestHeaders().containsKey("X-Forwarded-Prefix");
        byte[] body = page(exchange.getRemoteAddress().toString(), n, viaHttp).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        // one forwarded connection per page view, so that each shows up in the log
        exchange.getResponseHeaders().set("Connection", "close");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream o = exchange.getResponseBody()) {
          o.write(body);
        }
      });
      web.start();

      ForwardStatus status = new ForwardStatus();
      remote = RemoteForwarder.builder(cs).target(PORT_NAME, "127.0.0.1", web.getAddress().getPort())
          .events(status).build();
      remote.start();
      http = HttpForwarder.builder(cs.withEntityPath(HTTP_HYBRID_CONNECTION))
          .target(URI.create("http://127.0.0.1:" + web.getAddress().getPort() + "/")).build();
      http.start();

      int wanted = port != null ? port : DEFAULT_PORT;
      local = localForwarder(cs, wanted, status);
      try {
        local.start();
      } catch (BindException e) {
        if (port != null) {
          throw new BindException("cannot listen on 127.0.0.1:" + wanted + " (" + e.getMessage()
              + "); choose another --port");
        }
        local = localForwarder(cs, 0, status);
        local.start();
        fellBack = true;
      }
    }

    private LocalForwarder localForwarder(RelayConnectionString cs, int p, ForwardStatus status) {
      return LocalForwarder.builder(cs).port(p).portName(PORT_NAME).events(status).build();
    }

    String url() {
      return "http://127.0.0.1:" + local.localPort() + "/";
    }

    /** The HTTP path: the relay's own HTTP endpoint, through the HTTP forwarder. */
    String relayUrl() {
      return "http://127.0.0.1:" + relay.port() + "/" + HTTP_HYBRID_CONNECTION + "/";
    }

    @Override
    public void close() {
      if (local != null) {
        local.close(Duration.ofSeconds(1));
      }
      if (remote != null) {
        remote.close(Duration.ofSeconds(1));
      }
      if (http != null) {
        http.close();
      }
      if (web != null) {
        web.stop(0);
      }
      if (relay != null) {
        relay.shutdown(Duration.ofSeconds(1));
      }
    }
  }

  private void printIntro(Demo d) {
    int webPort = d.web.getAddress().getPort();
    out.println("Hybrid Relay demo: the hybrid relay pattern, all on this machine.");
    out.println();
    out.println("  relay             " + d.relay.endpoint() + "   (a local stand-in for Azure Relay, plain ws://)");
    out.println("  web service       127.0.0.1:" + webPort + "   (the private service; you do not open it directly)");
    out.println("  remote forwarder  hybrid connection '" + HYBRID_CONNECTION + "', port name '" + PORT_NAME
        + "' -> 127.0.0.1:" + webPort);
    out.println("  local forwarder   127.0.0.1:" + d.local.localPort() + " -> hybrid connection '" + HYBRID_CONNECTION
        + "', port name '" + PORT_NAME + "'");
    if (d.fellBack) {
      out.println("                    (port " + DEFAULT_PORT + " is taken, so a free port was chosen; use --port N)");
    }
    out.println("  HTTP forwarder    hybrid connection '" + HTTP_HYBRID_CONNECTION + "' (HTTP requests) -> http://127.0.0.1:"
        + webPort + "/");
    out.println();
    out.println("Open " + d.url() + "   (through the local forwarder)");
    out.println("  or " + d.relayUrl() + "   (the relay's HTTP endpoint, through the HTTP forwarder: no client software)");
    out.println();
    out.println("Your request goes to the local forwarder, which opens a WebSocket to the relay as a sender.");
    out.println("The remote forwarder is listening on the relay; the relay splices the two WebSockets, the");
    out.println("remote forwarder connects to the web service, and the bytes flow both ways. Neither side");
    out.println("accepts a connection from the other: both dial out to the relay. In real use the two");
    out.println("forwarders run on different networks with Azure Relay in between:");
    out.println("  hybridrelay forward -x \"$CS\" -T " + HYBRID_CONNECTION + ":" + PORT_NAME + "/127.0.0.1:" + webPort
        + "   (next to the service)");
    out.println("  hybridrelay forward -x \"$CS\" -L " + d.local.localPort() + "/" + PORT_NAME + ":" + HYBRID_CONNECTION
        + "   (where the clients are)");
    out.println("Or, with no forwarder on the client side, HTTP straight to the relay:");
    out.println("  hybridrelay forward -x \"$CS\" -H " + HTTP_HYBRID_CONNECTION + ":http/127.0.0.1:" + webPort
        + "   (next to the service; clients call https://{namespace}/" + HTTP_HYBRID_CONNECTION + "/)");
    out.println();
    if (!selfTest) {
      out.println("Each connection is logged below. Press Ctrl-C to stop.");
    }
  }

  private boolean selfTest(Demo d) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    boolean tcp = fetch(client, d.url(), "local forwarder -> relay -> remote forwarder",
        () -> d.remote.stats().totalConnections() >= 1 && d.local.stats().totalConnections() >= 1);
    boolean http = fetch(client, d.relayUrl(), "relay (HTTP request) -> HTTP forwarder",
        () -> d.http.stats().totalConnections() >= 1);
    out.println(tcp && http ? "self-test passed: both paths work" : "self-test FAILED");
    return tcp && http;
  }

  private boolean fetch(HttpClient client, String url, String path, java.util.function.BooleanSupplier counted) {
    try {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
          .build(), HttpResponse.BodyHandlers.ofString());
      String body = r.body();
      String headline = between(body, "<h1>", "</h1>");
      out.println("self-test: GET " + url + " -> " + r.statusCode() + " \"" + headline + "\"");
      boolean ok = r.statusCode() == 200 && body.contains("came through the hybrid relay") && counted.getAsBoolean();
      out.println(ok ? "self-test: the page came through " + path : "self-test FAILED: " + path);
      return ok;
    } catch (IOException | RuntimeException e) {
      out.println("self-test FAILED: GET " + url + ": " + e);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.println("self-test FAILED: interrupted");
      return false;
    }
  }

  private static String between(String s, String a, String b) {
    int i = s.indexOf(a);
    int j = i < 0 ? -1 : s.indexOf(b, i + a.length());
    return i < 0 || j < 0 ? s.lines().findFirst().orElse("") : s.substring(i + a.length(), j);
  }

  static String page(String seenFrom, long n) {
    return page(seenFrom, n, false);
  }

  static String page(String seenFrom, long n, boolean viaHttp) {
    String head = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Hybrid Relay demo</title></head><body>\n"
        + "<h1>This page came through the hybrid relay</h1>\n";
    if (viaHttp) {
      return head + "<p>Your browser sent a plain HTTP request to the <b>relay</b> itself. The relay handed it to the "
          + "<b>HTTP forwarder</b> (<code>forward -H</code>), listening on the relay, which asked this web service and "
          + "streamed the answer back. No forwarder runs on your side; the service only dialed out to the relay.</p>\n"
          + "<p>This service saw the request come from " + escape(seenFrom) + " (the HTTP forwarder). Page " + n
          + ", served at " + Instant.now() + ".</p>\n</body></html>\n";
    }
    return head
        + "<p>Your browser connected to the <b>local forwarder</b>. It opened a WebSocket to the <b>relay</b>; the "
        + "<b>remote forwarder</b>, listening on the relay, got the spliced connection and connected to this web "
        + "service. Neither forwarder accepted a connection from the other: both only dialed out to the relay.</p>\n"
        + "<p>This service saw the connection come from " + escape(seenFrom) + " (the remote forwarder), "
        + "not from your browser. Page " + n + ", served at " + Instant.now() + ".</p>\n"
        + "</body></html>\n";
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
