package dev.hybridrelay.cli;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics and health port of {@code serve} and {@code forward}: a small HTTP/1.1 server (Netty,
 * which the relay uses already) on its own port, apart from the relay's port, so that it can stay
 * on loopback while the relay faces the network, and so that no path of the relay's port is taken
 * from hybrid connection names.
 *
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text format (version 0.0.4) of a {@link PrometheusMeterRegistry}
 *       with the relay's or forwarders' meters and the JVM's.
 *   <li>{@code GET /healthz}: 200 {@code {"status":"alive"}} while the process runs.
 *   <li>{@code GET /readyz}: 200 {@code {"status":"ready"}}, or 503 {@code {"status":"not ready","reasons":[…]}}.
 *       {@code serve} takes {@code ?hc=NAME} (repeatable): then ready also needs a listener registered
 *       for each hybrid connection named, so that a load balancer in front of several relay nodes
 *       sends senders only to a node that can hand them on. Any other parameter, or {@code hc} where
 *       the command does not support it, is answered 400.
 * </ul>
 *
 * Requests are served on one daemon thread named {@code hybridrelay-metrics-http-…}, its own, so a
 * scrape never runs on a relay I/O thread; anything else gets 404 (unknown path) or 405 (not GET or
 * HEAD) with a JSON body. Each answer closes its connection; request heads are limited to 8 KiB and
 * a connection idle for 30 s is closed.
 */
final class MetricsEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("hybridrelay.metrics");

  /** What {@code /readyz} reports: an empty list means ready; otherwise one reason per problem. */
  interface Readiness {
    /**
     * @param hybridConnections the {@code hc} parameters of the request (empty without)
     * @throws IllegalArgumentException if the parameters are not supported (answered 400 with its message)
     */
    List<String> notReadyReasons(List<String> hybridConnections);
  }

  /** The only parameter of {@code /readyz}. */
  static final String READY_HC_PARAM = "hc";

  private final EventLoopGroup group;
  private final Channel server;
  private final PrometheusMeterRegistry registry;
  private final AtomicBoolean closed = new AtomicBoolean();

  private MetricsEndpoint(EventLoopGroup group, Channel server, PrometheusMeterRegistry registry) {
    this.group = group;
    this.server = server;
    this.registry = registry;
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

  /** Binds {@code bind:port} and serves; returns once bound. */
  static MetricsEndpoint start(InetAddress bind, int port, PrometheusMeterRegistry registry,
      Readiness readiness) throws IOException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
        new DefaultThreadFactory("hybridrelay-metrics-http", true), NioIoHandler.newFactory());
    ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new ReadTimeoutHandler(30, TimeUnit.SECONDS),
                new HttpServerCodec(4096, 8192, 8192), new HttpObjectAggregator(8192), new Handler(registry, readiness));
          }
        });
    Channel ch;
    try {
      ch = b.bind(new InetSocketAddress(bind, port)).sync().channel();
    } catch (Exception e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      BindException be = new BindException("cannot serve metrics on " + bind.getHostAddress() + ":" + port
          + " (--metrics-port): " + e.getMessage());
      be.initCause(e);
      throw be;
    }
    MetricsEndpoint endpoint = new MetricsEndpoint(group, ch, registry);
    log.info("Metrics and health on http://{}:{}/ (/metrics, /healthz, /readyz)",
        hostForUrl(bind), endpoint.port());
    return endpoint;
  }

  private static String hostForUrl(InetAddress a) {
    String h = a.getHostAddress();
    return h.indexOf(':') >= 0 ? "[" + h + "]" : h;
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final PrometheusMeterRegistry registry;
    private final Readiness readiness;

    Handler(PrometheusMeterRegistry registry, Readiness readiness) {
      this.registry = registry;
      this.readiness = readiness;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      boolean head = HttpMethod.HEAD.equals(req.method());
      if (!req.decoderResult().isSuccess()) {
        json(ctx, HttpResponseStatus.BAD_REQUEST, "{\"status\":\"error\",\"message\":\"malformed request\"}", false);
        return;
      }
      if (!head && !HttpMethod.GET.equals(req.method())) {
        FullHttpResponse r = response(HttpResponseStatus.METHOD_NOT_ALLOWED, "application/json",
            "{\"status\":\"error\",\"message\":\"use GET\"}\n", false);
        r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        send(ctx, r);
        return;
      }
      QueryStringDecoder decoded = new QueryStringDecoder(req.uri());
      String path = decoded.path();
      switch (path) {
        case "/metrics" -> send(ctx, response(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
            registry.scrape(), head));
        case "/healthz" -> json(ctx, HttpResponseStatus.OK, "{\"status\":\"alive\"}", head);
        case "/readyz" -> {
          Map<String, List<String>> params = decoded.parameters();
          for (String name : params.keySet()) {
            if (!name.equals(READY_HC_PARAM)) {
              json(ctx, HttpResponseStatus.BAD_REQUEST, "{\"status\":\"error\",\"message\":\"unknown parameter '"
                  + jsonEscape(name) + "'; /readyz takes " + READY_HC_PARAM + "=NAME\"}", head);
              return;
            }
          }
          List<String> hcs = params.getOrDefault(READY_HC_PARAM, List.of());
          if (hcs.stream().anyMatch(String::isEmpty)) {
            json(ctx, HttpResponseStatus.BAD_REQUEST,
                "{\"status\":\"error\",\"message\":\"" + READY_HC_PARAM + "= needs a hybrid connection name\"}", head);
            return;
          }
          List<String> reasons;
          try {
            reasons = readiness.notReadyReasons(hcs);
          } catch (IllegalArgumentException e) {
            json(ctx, HttpResponseStatus.BAD_REQUEST,
                "{\"status\":\"error\",\"message\":\"" + jsonEscape(String.valueOf(e.getMessage())) + "\"}", head);
            return;
          } catch (RuntimeException e) {
            reasons = List.of("readiness check failed: " + e);
          }
          if (reasons.isEmpty()) {
            json(ctx, HttpResponseStatus.OK, "{\"status\":\"ready\"}", head);
          } else {
            StringBuilder b = new StringBuilder("{\"status\":\"not ready\",\"reasons\":[");
            for (int i = 0; i < reasons.size(); i++) {
              b.append(i == 0 ? "" : ",").append('"').append(jsonEscape(reasons.get(i))).append('"');
            }
            json(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, b.append("]}").toString(), head);
          }
        }
        default -> json(ctx, HttpResponseStatus.NOT_FOUND,
            "{\"status\":\"error\",\"message\":\"not found; try /metrics, /healthz or /readyz\"}", head);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("Metrics connection failed", cause);
      ctx.close();
    }
  }

  private static void json(ChannelHandlerContext ctx, HttpResponseStatus status, String body, boolean head) {
    send(ctx, response(status, "application/json", body + "\n", head));
  }

  private static FullHttpResponse response(HttpResponseStatus status, String type, String body, boolean head) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(b));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, b.length);
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return r;
  }

  private static void send(ChannelHandlerContext ctx, FullHttpResponse r) {
    ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
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

  /** Stops serving and releases the port and the thread. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    registry.close();
  }
}
