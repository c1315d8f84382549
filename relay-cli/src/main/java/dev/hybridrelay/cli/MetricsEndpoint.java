package dev.hybridrelay.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics and health port of {@code serve} and {@code forward}: a small HTTP server (the JDK's
 * {@code com.sun.net.httpserver}) on its own port, apart from the relay's port, so that it can stay
 * on loopback while the relay faces the network, and so that no path of the relay's port is taken
 * from hybrid connection names.
 *
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text format (version 0.0.4) of a {@link PrometheusMeterRegistry}
 *       with the relay's or forwarders' meters and the JVM's.
 *   <li>{@code GET /healthz}: 200 {@code {"status":"alive"}} while the process runs.
 *   <li>{@code GET /readyz}: 200 {@code {"status":"ready"}}, or 503 {@code {"status":"not ready","reasons":[…]}}.
 * </ul>
 *
 * Requests are served one at a time on one daemon thread named {@code hybridrelay-metrics-http};
 * anything else gets 404 (unknown path) or 405 (not GET or HEAD) with a JSON body.
 */
final class MetricsEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("hybridrelay.metrics");
  private static final AtomicInteger SERVERS = new AtomicInteger();

  /** What {@code /readyz} reports: an empty list means ready; otherwise one reason per problem. */
  interface Readiness {
    List<String> notReadyReasons();
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final PrometheusMeterRegistry registry;
  private final Readiness readiness;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private MetricsEndpoint(HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry,
      Readiness readiness) {
    this.server = server;
    this.executor = executor;
    this.registry = registry;
    this.readiness = readiness;
  }

  /**
   * The registry whose meters {@code /metrics} serves, with the JVM's memory, thread, class loader
   * and uptime meters. (Micrometer's processor meters are left out: their names
   * {@code process_cpu_time_ns_total} and {@code system_cpu_count} fail {@code promtool check metrics}.)
   */
  static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(r);
    new JvmThreadMetrics().bindTo(r);
    new ClassLoaderMetrics().bindTo(r);
    new UptimeMetrics().bindTo(r);
    return r;
  }

  static MetricsEndpoint start(InetAddress bind, int port, PrometheusMeterRegistry registry,
      Readiness readiness) throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(bind, port), 16);
    } catch (BindException e) {
      throw new BindException("cannot serve metrics on " + bind.getHostAddress() + ":" + port + " (--metrics-port): "
          + e.getMessage());
    }
    int n = SERVERS.incrementAndGet();
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "hybridrelay-metrics-http" + (n == 1 ? "" : "-" + n));
      t.setDaemon(true);
      return t;
    });
    MetricsEndpoint endpoint = new MetricsEndpoint(server, executor, registry, readiness);
    server.setExecutor(executor);
    server.createContext("/", endpoint::handle);
    server.start();
    log.info("Metrics and health on http://{}:{}/ (/metrics, /healthz, /readyz)",
        hostForUrl(bind), endpoint.port());
    return endpoint;
  }

  private static String hostForUrl(InetAddress a) {
    String h = a.getHostAddress();
    return h.indexOf(':') >= 0 ? "[" + h + "]" : h;
  }

  int port() {
    return server.getAddress().getPort();
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String method = x.getRequestMethod();
      String path = x.getRequestURI().getPath();
      boolean head = "HEAD".equals(method);
      if (!head && !"GET".equals(method)) {
        x.getResponseHeaders().set("Allow", "GET, HEAD");
        json(x, 405, "{\"status\":\"error\",\"message\":\"use GET\"}", false);
        return;
      }
      switch (path) {
        case "/metrics" -> send(x, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape(), head);
        case "/healthz" -> json(x, 200, "{\"status\":\"alive\"}", head);
        case "/readyz" -> {
          List<String> reasons;
          try {
            reasons = readiness.notReadyReasons();
          } catch (RuntimeException e) {
            reasons = List.of("readiness check failed: " + e);
          }
          if (reasons.isEmpty()) {
            json(x, 200, "{\"status\":\"ready\"}", head);
          } else {
            StringBuilder b = new StringBuilder("{\"status\":\"not ready\",\"reasons\":[");
            for (int i = 0; i < reasons.size(); i++) {
              b.append(i == 0 ? "" : ",").append('"').append(jsonEscape(reasons.get(i))).append('"');
            }
            json(x, 503, b.append("]}").toString(), head);
          }
        }
        default -> json(x, 404, "{\"status\":\"error\",\"message\":\"not found; try /metrics, /healthz or /readyz\"}",
            head);
      }
    } catch (IOException | RuntimeException e) {
      log.debug("Metrics request failed", e);
    }
  }

  private static void json(HttpExchange x, int status, String body, boolean head) throws IOException {
    send(x, status, "application/json", body + "\n", head);
  }

  private static void send(HttpExchange x, int status, String type, String body, boolean head) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", type);
    x.getResponseHeaders().set("Cache-Control", "no-store");
    if (head) {
      x.sendResponseHeaders(status, -1);
      return;
    }
    x.sendResponseHeaders(status, b.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(b);
    }
  }

  static String jsonEscape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.stop(0);
    executor.shutdownNow();
    registry.close();
  }
}
