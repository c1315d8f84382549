package dev.hybridrelay.core;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * The sender role: opens connections to the listeners of a hybrid connection.
 *
 * <pre>{@code
 * RelaySender sender = RelaySender.builder(connectionString).build();
 * try (RelayConnection c = sender.connect()) {
 *   c.getOutputStream().write(...);
 * }
 * }</pre>
 *
 * <p>A {@code RelaySender} is immutable configuration and thread-safe: {@link #connect()} may be
 * called from many threads. Each call opens one WebSocket to the relay, which returns once a
 * listener accepted. Refusals become exceptions carrying the relay's status, description and
 * tracking id: {@link RelayConnectException} (404 no listener or no such hybrid connection, a
 * listener's rejection), {@link RelayAuthorizationException} (401/403), {@link RelayTimeoutException}
 * (408/504, or the connect timeout). Tokens are cached and reused until shortly before expiry.
 */
public final class RelaySender {
  private final dev.hybridrelay.core.internal.SenderImpl impl;
  private final RelayMetrics metrics;

  private RelaySender(Builder builder) {
    this.impl = new dev.hybridrelay.core.internal.SenderImpl(builder.config());
    this.metrics = builder.metrics;
  }

  /** A builder for the hybrid connection named by the connection string's {@code EntityPath}. */
  public static Builder builder(String connectionString) {
    return new Builder(RelayConnectionString.parse(connectionString));
  }

  /** A builder for the hybrid connection named by the connection string's {@code EntityPath}. */
  public static Builder builder(RelayConnectionString connectionString) {
    return new Builder(connectionString);
  }

  /** Connects with the configured timeout. */
  public RelayConnection connect() throws IOException {
    return measured(() -> impl.connect(null));
  }

  /** Connects, waiting at most {@code timeout} for a listener to accept. */
  public RelayConnection connect(Duration timeout) throws IOException {
    return measured(() -> impl.connect(timeout));
  }

  /** One connect attempt, as {@link #measured} sees it. */
  private interface ConnectCall {
    RelayConnection call() throws IOException;
  }

  /** Runs {@code call}, reporting its latency and outcome to the metrics hook. */
  private RelayConnection measured(ConnectCall call) throws IOException {
    if (metrics == RelayMetrics.NONE) {
      return call.call();
    }
    long start = System.nanoTime();
    RelayConnection c;
    try {
      c = call.call();
    } catch (IOException | RuntimeException e) {
      metrics.senderFailed(e instanceof RelayRefusal r ? r.statusCode() : 0, System.nanoTime() - start);
      throw e;
    }
    metrics.senderConnected(System.nanoTime() - start);
    return c;
  }

  /**
   * Connects, waiting at most {@code timeout}, with extra application query parameters and
   * handshake headers for this connection only, added after the builder's. The listener sees both
   * (in the accept's address and {@code connectHeaders}).
   *
   * @param queryParameters names must not start with {@code sb-hc-} (reserved by the relay)
   * @param headers header names and values must be valid HTTP tokens / field values
   * @throws IllegalArgumentException if a name is reserved or a value contains CR or LF
   */
  public RelayConnection connect(Duration timeout, Map<String, String> queryParameters, Map<String, String> headers)
      throws IOException {
    for (String name : queryParameters.keySet()) {
      if (name.isEmpty() || name.toLowerCase(java.util.Locale.ROOT).startsWith("sb-hc-")) {
        throw new IllegalArgumentException("Query parameter names must not be empty or start with sb-hc- "
            + "(reserved by the relay): " + name);
      }
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (h.getKey().isEmpty() || (h.getKey() + h.getValue()).indexOf('\r') >= 0
          || (h.getKey() + h.getValue()).indexOf('\n') >= 0) {
        throw new IllegalArgumentException("A handshake header must have a name and contain no CR or LF: "
            + h.getKey());
      }
    }
    return measured(() -> impl.connect(timeout, queryParameters, headers));
  }

  /** The hybrid connection address, {@code sb://host[:port]/path}. */
  public URI address() {
    return impl.address();
  }

  @Override
  public String toString() {
    return "RelaySender{" + address() + "}";
  }

  /** Configures a {@link RelaySender}. */
  public static final class Builder {
    private final RelayConnectionString connectionString;
    private String entityPath;
    private TokenProvider tokenProvider;
    private Duration connectTimeout = Duration.ofSeconds(70);
    private Duration keepAliveInterval = Duration.ofSeconds(30);
    private String pathSuffix = "";
    private final Map<String, List<String>> query = new LinkedHashMap<>();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private List<String> subprotocols = List.of();
    private int receiveWindow = 1 << 20;
    private int sendWindow = 1 << 20;
    private int maxMessageSize = 64 * 1024;
    private int maxIncomingMessageSize = 16 << 20;
    private SSLContext sslContext;
    private boolean anonymous;
    private RelayProxy proxy = RelayProxy.system();
    private RelayMetrics metrics = RelayMetrics.NONE;

    private Builder(RelayConnectionString connectionString) {
      this.connectionString = Objects.requireNonNull(connectionString, "connectionString");
      this.entityPath = connectionString.entityPath();
      if (!connectionString.operationTimeout().equals(RelayConnectionString.DEFAULT_OPERATION_TIMEOUT)) {
        this.connectTimeout = connectionString.operationTimeout();
      }
    }

    /** The hybrid connection to connect to, instead of the connection string's {@code EntityPath}. */
    public Builder entityPath(String entityPath) {
      this.entityPath = entityPath;
      return this;
    }

    /** Where tokens come from; default: the connection string's SAS credentials. */
    public Builder tokenProvider(TokenProvider tokenProvider) {
      this.tokenProvider = tokenProvider;
      return this;
    }

    /** Send no token (for hybrid connections that do not require client authorization). */
    public Builder anonymous(boolean anonymous) {
      this.anonymous = anonymous;
      return this;
    }

    /** How long to wait for a listener to accept. Default 70 s, as the SDKs. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = timeout;
      return this;
    }

    /**
     * Ping interval on established connections ({@link Duration#ZERO}: none); a connection that
     * receives nothing for two intervals while reading fails. Default 30 s.
     */
    public Builder keepAliveInterval(Duration interval) {
      this.keepAliveInterval = interval;
      return this;
    }

    /** A path after the hybrid connection name; the listener sees it. */
    public Builder pathSuffix(String suffix) {
      this.pathSuffix = suffix == null ? "" : suffix;
      return this;
    }

    /** Adds an application query parameter; names starting with {@code sb-hc-} are reserved. */
    public Builder queryParameter(String name, String value) {
      if (name.toLowerCase(java.util.Locale.ROOT).startsWith("sb-hc-")) {
        throw new IllegalArgumentException("Query parameter names starting with sb-hc- are reserved by the relay: " + name);
      }
      query.computeIfAbsent(name, k -> new java.util.ArrayList<>()).add(value);
      return this;
    }

    /** Adds a handshake header; the listener sees it. */
    public Builder header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /** WebSocket sub-protocols to offer, in order of preference. */
    public Builder subprotocols(List<String> subprotocols) {
      this.subprotocols = List.copyOf(subprotocols);
      return this;
    }

    /** Bytes buffered per connection for the application to read before backpressure. Default 1 MiB. */
    public Builder receiveWindow(int bytes) {
      this.receiveWindow = bytes;
      return this;
    }

    /** Bytes queued per connection for sending before writes block. Default 1 MiB. */
    public Builder sendWindow(int bytes) {
      this.sendWindow = bytes;
      return this;
    }

    /** Largest binary message this side sends. Default 64 KiB. */
    public Builder maxMessageSize(int bytes) {
      this.maxMessageSize = bytes;
      return this;
    }

    /** Largest message accepted from the peer; larger ones close the connection with 1009. Default 16 MiB. */
    public Builder maxIncomingMessageSize(int bytes) {
      this.maxIncomingMessageSize = bytes;
      return this;
    }

    /** TLS settings for wss; default: the JDK's default context. Hostname verification stays on. */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = sslContext;
      return this;
    }

    /**
     * How to reach the relay: directly, through an HTTP proxy ({@code CONNECT} tunnel) or as the
     * JDK's {@link java.net.ProxySelector} decides. Used by every connection this sender opens.
     * Default {@link RelayProxy#system()}; see {@link RelayProxy} for the environment variables and
     * bypass lists.
     */
    public Builder proxy(RelayProxy proxy) {
      this.proxy = java.util.Objects.requireNonNull(proxy, "proxy");
      return this;
    }

    /**
     * Reports each {@link RelaySender#connect()}'s latency and outcome to {@code metrics} (default
     * {@link RelayMetrics#NONE}), on the calling thread.
     */
    public Builder metrics(RelayMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** Builds the sender. */
    public RelaySender build() {
      if (entityPath == null) {
        throw new IllegalArgumentException("No hybrid connection given: add EntityPath=... to the connection string "
            + "or call entityPath(...)");
      }
      return new RelaySender(this);
    }

    dev.hybridrelay.core.internal.SenderConfig config() {
      TokenProvider tp = anonymous ? null
          : tokenProvider != null ? tokenProvider
          : connectionString.hasCredentials() ? connectionString.tokenProvider() : null;
      return new dev.hybridrelay.core.internal.SenderConfig(connectionString.withEntityPath(entityPath), tp,
          connectTimeout, keepAliveInterval, pathSuffix, Map.copyOf(query), Map.copyOf(headers), subprotocols,
          receiveWindow, sendWindow, maxMessageSize, maxIncomingMessageSize, sslContext, proxy.config());
    }
  }
}
