package dev.hybridrelay.core;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * The listener role: registers with the relay over a long-lived control channel and accepts the
 * connections that senders open to a hybrid connection.
 *
 * <pre>{@code
 * try (RelayListener listener = RelayListener.builder(connectionString).build()) {
 *   listener.open();                       // returns once online, or throws
 *   while (true) {
 *     RelayConnection c = listener.accept(); // blocks
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <h2>Life cycle</h2>
 * {@link #open()} connects the control channel and fails fast with the relay's refusal
 * ({@link RelayConnectException}, {@link RelayAuthorizationException}), a
 * {@link RelayTimeoutException} or the network error; the listener is then
 * {@link ListenerState#OFFLINE} and {@code open()} may be called again. Once online, a lost channel is re-opened with backoff (0, 1, 2, 5,
 * 10, 30 seconds, then every 30 seconds, each with up to 20 % jitter; reset after each success),
 * reporting {@link RelayListenerEvents#onConnecting} and {@link RelayListenerEvents#onOnline}.
 * A 404 (the hybrid connection is gone) or 401/403 (credentials refused) is permanent: the listener
 * goes {@link ListenerState#OFFLINE}, reports {@link RelayListenerEvents#onOffline} with the cause, and
 * pending {@link #accept()} calls throw it.
 *
 * <h2>Keep-alive and tokens</h2>
 * The listener pings the relay every {@link Builder#keepAliveInterval keep-alive interval} (default
 * 30 s) and treats a channel that received nothing for two intervals as dead: it is aborted and
 * re-opened. Tokens are cached and renewed at 80 % of their lifetime; the new token is sent over the
 * control channel ({@code renewToken}), so the relay never drops the listener for expiry. A fixed
 * token (a connection string's {@code SharedAccessSignature}) cannot be renewed.
 *
 * <h2>Accepting</h2>
 * Connections are accepted with {@link #accept()} (blocking) or handed to a
 * {@link Builder#connectionHandler connection handler} (callback style). An optional
 * {@link AcceptHandler} decides first. At most {@link Builder#backlog backlog} accepted connections
 * wait for {@link #accept()}; further senders are rejected with 503 until the application catches up.
 *
 * <h2>HTTP requests</h2>
 * Plain HTTP requests that senders send to the hybrid connection ({@code https://{namespace}/{hc}/…})
 * go to the {@link Builder#requestHandler request handler}, concurrently with accepts; without one
 * they are answered 501.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe. The listener uses daemon threads named {@code hybridrelay-listener-…}
 * (supervisor, event, accept and HTTP request threads), the shared I/O threads {@code hybridrelay-io-…} (which
 * serve its control channel and its connections) and the shared {@code hybridrelay-timer-…};
 * {@link #close()} ends every one of them (the I/O threads about a second later, once no connection
 * uses them). Event callbacks run
 * in order on the single event thread, never while the library holds a lock. {@link #close()} is idempotent, stops accepting, closes the
 * control channel with 1000, aborts connections not yet handed to the application, and makes pending
 * {@link #accept()} calls throw {@link java.net.SocketException}. Connections already accepted stay
 * open; they are the application's to close.
 *
 * <h2>Several relay nodes</h2>
 * With {@link Builder#endpoints endpoints(...)} the listener registers with several independent relay
 * nodes at once (for example a pool of local relays behind a load balancer; the nodes share no state):
 * one control channel per node, each re-registering on its own (at once, then every
 * {@link Builder#registrationRetryInterval retry interval}) while its node is unreachable. The listener
 * is {@link ListenerState#ONLINE} while at least one registration is, {@link ListenerState#CONNECTING}
 * while none is and some are retrying, and {@link ListenerState#OFFLINE} when every node refused it
 * for good (404, 401, 403). {@link #open()} returns once one node registered it and throws only when
 * none could (the others keep retrying in the background). Connections accepted from any node go to the
 * same {@link #accept()} queue or handler. {@link RelayListenerEvents#onRegistrationChanged} reports
 * each node; {@link #registrations()} shows them.
 */
public final class RelayListener implements Closeable {
  private final dev.hybridrelay.core.internal.ListenerImpl impl;
  private final dev.hybridrelay.core.internal.ListenerPool pool;

  private final String entityPath;

  private RelayListener(Builder builder) {
    this.entityPath = builder.entityPath;
    if (builder.endpoints.size() > 1) {
      this.impl = null;
      this.pool = new dev.hybridrelay.core.internal.ListenerPool(builder.config(), builder.endpoints,
          builder.registrationRetryInterval);
    } else {
      this.impl = new dev.hybridrelay.core.internal.ListenerImpl(builder.config());
      this.pool = null;
    }
  }

  /** A builder for the hybrid connection named by the connection string's {@code EntityPath}. */
  public static Builder builder(String connectionString) {
    return new Builder(RelayConnectionString.parse(connectionString));
  }

  /** A builder for the hybrid connection named by the connection string's {@code EntityPath}. */
  public static Builder builder(RelayConnectionString connectionString) {
    return new Builder(connectionString);
  }

  /**
   * Opens the control channel and returns once the listener is online.
   *
   * @throws RelayAuthorizationException 401/403
   * @throws RelayConnectException 404 or another refusal
   * @throws RelayTimeoutException if not online within the operation timeout
   * @throws IOException on network failure, or if already closed
   */
  public void open() throws IOException {
    if (pool != null) {
      pool.open();
    } else {
      impl.open();
    }
  }

  /** Waits for and returns the next accepted connection. */
  public RelayConnection accept() throws IOException {
    return pool != null ? pool.accept(Duration.ZERO) : impl.accept(Duration.ZERO);
  }

  /**
   * Waits at most {@code timeout} for the next accepted connection.
   *
   * @throws java.net.SocketTimeoutException if none arrived in time; the listener stays usable
   * @throws java.net.SocketException if the listener is closed, or went offline (cause attached)
   */
  public RelayConnection accept(Duration timeout) throws IOException {
    return pool != null ? pool.accept(timeout) : impl.accept(timeout);
  }

  /** The current state. */
  public ListenerState state() {
    return pool != null ? pool.state() : impl.state();
  }

  /** Whether the control channel is up (with several endpoints: at least one registration). */
  public boolean isOnline() {
    return state() == ListenerState.ONLINE;
  }

  /** The error that caused the last reconnect or the offline state, if any. */
  public Throwable lastError() {
    return pool != null ? pool.lastError() : impl.lastError();
  }

  /** The hybrid connection address, {@code sb://host[:port]/path} (with several endpoints: the first). */
  public URI address() {
    if (pool != null) {
      URI e = pool.registrations().keySet().iterator().next();
      return URI.create(e.getScheme() + "://" + e.getRawAuthority() + "/" + entityPath);
    }
    return impl.address();
  }

  /**
   * The listener's tracking id (sent as {@code sb-hc-id} on every reconnect). With several endpoints,
   * an id of the pooled listener; each node's registration has its own.
   */
  public String trackingId() {
    return pool != null ? pool.trackingId() : impl.trackingId();
  }

  /**
   * Each relay endpoint ({@code sb://host:port/}) and the state of this listener's registration with
   * it, in the order given to the builder (one entry without {@link Builder#endpoints endpoints(...)}).
   */
  public java.util.Map<URI, ListenerState> registrations() {
    if (pool != null) {
      return pool.registrations();
    }
    return java.util.Map.of(impl.address().resolve("/"), impl.state());
  }

  /** Closes the listener (every registration); see the class documentation. Idempotent. */
  @Override
  public void close() throws IOException {
    if (pool != null) {
      pool.close();
    } else {
      impl.close();
    }
  }

  @Override
  public String toString() {
    return "RelayListener{" + address() + ", " + state() + "}";
  }

  /** Configures a {@link RelayListener}. Not thread-safe; build once and share the listener. */
  public static final class Builder {
    private final RelayConnectionString connectionString;
    private String entityPath;
    private TokenProvider tokenProvider;
    private Duration operationTimeout;
    private Duration keepAliveInterval = Duration.ofSeconds(30);
    private Duration tokenValidity = Duration.ofHours(1);
    private AcceptHandler acceptHandler;
    private Consumer<RelayConnection> connectionHandler;
    private final java.util.List<RelayListenerEvents> events = new java.util.ArrayList<>();
    private int backlog = 256;
    private int receiveWindow = 1 << 20;
    private int sendWindow = 1 << 20;
    private int maxMessageSize = 64 * 1024;
    private int maxIncomingMessageSize = 16 << 20;
    private SSLContext sslContext;
    private Duration acceptDeadline = Duration.ofSeconds(20);
    private RelayProxy proxy = RelayProxy.system();
    private RelayRequestHandler requestHandler;
    private int maxConcurrentRequests = 64;
    private RelayMetrics metrics = RelayMetrics.NONE;
    private final java.util.Map<String, java.util.List<String>> listenQuery = new java.util.LinkedHashMap<>();
    private java.util.List<URI> endpoints = java.util.List.of();
    private Duration registrationRetryInterval = Duration.ofSeconds(1);

    private Builder(RelayConnectionString connectionString) {
      this.connectionString = Objects.requireNonNull(connectionString, "connectionString");
      this.entityPath = connectionString.entityPath();
      this.operationTimeout = connectionString.operationTimeout();
    }

    /** The hybrid connection to listen on, instead of the connection string's {@code EntityPath}. */
    public Builder entityPath(String entityPath) {
      this.entityPath = entityPath;
      return this;
    }

    /** Where tokens come from; default: the connection string's SAS credentials. */
    public Builder tokenProvider(TokenProvider tokenProvider) {
      this.tokenProvider = tokenProvider;
      return this;
    }

    /** How long {@link RelayListener#open()} waits; default: the connection string's, else 60 s. */
    public Builder operationTimeout(Duration timeout) {
      this.operationTimeout = timeout;
      return this;
    }

    /**
     * Ping interval on the control channel and on accepted connections; a control channel that
     * received nothing for two intervals is re-opened. Default 30 s.
     */
    public Builder keepAliveInterval(Duration interval) {
      this.keepAliveInterval = interval;
      return this;
    }

    /** Lifetime asked of the token provider; renewal happens at 80 % of it. Default 1 h. */
    public Builder tokenValidity(Duration validity) {
      this.tokenValidity = validity;
      return this;
    }

    /** Decides on each incoming connection before it is accepted. Default: accept all. */
    public Builder acceptHandler(AcceptHandler handler) {
      this.acceptHandler = handler;
      return this;
    }

    /**
     * Callback style: each accepted connection is passed to {@code handler} on its own daemon
     * thread ({@code hybridrelay-connection-…}) instead of being queued for {@link RelayListener#accept()}.
     */
    public Builder connectionHandler(Consumer<RelayConnection> handler) {
      this.connectionHandler = handler;
      return this;
    }

    /** Adds a receiver of state changes. */
    public Builder events(RelayListenerEvents listener) {
      this.events.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Reports online/offline transitions and control-channel reconnects to {@code metrics}
     * (default {@link RelayMetrics#NONE}), on the event thread like {@link #events}.
     */
    public Builder metrics(RelayMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /**
     * How many connections may wait for {@link RelayListener#accept()} (including those being
     * accepted); further senders are rejected with 503. Default 256.
     */
    public Builder backlog(int backlog) {
      this.backlog = backlog;
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

    /** Largest binary message this side sends. Default 64 KiB (what azbridge and the SDKs use). */
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

    /** How long the rendezvous handshake may take. Default 20 s, as the SDKs. */
    public Builder acceptDeadline(Duration deadline) {
      this.acceptDeadline = deadline;
      return this;
    }

    /**
     * How to reach the relay: directly, through an HTTP proxy ({@code CONNECT} tunnel) or as the
     * JDK's {@link java.net.ProxySelector} decides. Used by every connection this listener opens
     * (control channel, rendezvous, rejections, request-mode rendezvous). Default {@link
     * RelayProxy#system()}; see {@link RelayProxy} for the environment variables and bypass lists. A
     * proxy failure while the listener is online is an ordinary reconnect cause (backoff, {@link
     * RelayListenerEvents#onConnecting}).
     */
    public Builder proxy(RelayProxy proxy) {
      this.proxy = java.util.Objects.requireNonNull(proxy, "proxy");
      return this;
    }

    /**
     * Answers plain HTTP requests sent to the hybrid connection (request mode), beside accepted
     * connections; see {@link RelayRequestHandler} for threads, limits and failures. Without one,
     * every HTTP request is answered 501 "Not Implemented" (and logged).
     */
    public Builder requestHandler(RelayRequestHandler handler) {
      this.requestHandler = handler;
      return this;
    }

    /**
     * Threads that run the {@link #requestHandler request handler} at once (default 64); further
     * requests wait in a queue of 1,024, beyond which they are answered 503.
     */
    public Builder maxConcurrentRequests(int max) {
      if (max <= 0) {
        throw new IllegalArgumentException("maxConcurrentRequests <= 0: " + max);
      }
      this.maxConcurrentRequests = max;
      return this;
    }

    /**
     * Adds an application query parameter to the listen address (the control channel's URL), before
     * the {@code sb-hc-*} parameters. A local relay may read it; Azure Relay is not documented to
     * use it. Names starting with {@code sb-hc-} are reserved by the relay. Repeatable; order kept.
     *
     * @throws IllegalArgumentException if the name is empty or reserved
     */
    public Builder queryParameter(String name, String value) {
      if (name == null || name.isEmpty() || name.toLowerCase(java.util.Locale.ROOT).startsWith("sb-hc-")) {
        throw new IllegalArgumentException("Query parameter names must not be empty or start with sb-hc- "
            + "(reserved by the relay): " + name);
      }
      listenQuery.computeIfAbsent(name, k -> new java.util.ArrayList<>()).add(Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Registers with each of these relay endpoints ({@code sb://host[:port]}, e.g. independent
     * {@code hybridrelay serve} nodes behind a load balancer) instead of the connection string's
     * endpoint; same hybrid connection and credentials on every node. See "Several relay nodes" in
     * {@link RelayListener}. One endpoint is the same as a connection string with that endpoint.
     *
     * @throws IllegalArgumentException if the list is empty, has duplicates, or an endpoint is not an
     *     {@code sb://host[:port]} address
     */
    public Builder endpoints(java.util.List<String> endpoints) {
      if (endpoints == null || endpoints.isEmpty()) {
        throw new IllegalArgumentException("endpoints: give at least one relay endpoint such as sb://relay1:9090");
      }
      java.util.List<URI> list = new java.util.ArrayList<>();
      for (String e : endpoints) {
        URI u = connectionString.toBuilder().endpoint(e).build().endpoint();
        if (list.contains(u)) {
          throw new IllegalArgumentException("endpoints: " + e + " is given twice");
        }
        list.add(u);
      }
      this.endpoints = java.util.List.copyOf(list);
      return this;
    }

    /**
     * With several {@link #endpoints endpoints}: how long a registration waits between attempts while
     * its node is unreachable (the first attempt after a loss is immediate; up to 20 % jitter). Keep it
     * shorter than the load balancer's time to mark a restarted node up (for HAProxy {@code rise × inter}),
     * so that the listener is registered before senders reach the node again. Default 1 s.
     */
    public Builder registrationRetryInterval(Duration interval) {
      if (interval == null || interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("registrationRetryInterval must be positive: " + interval);
      }
      this.registrationRetryInterval = interval;
      return this;
    }

    /** Builds the listener; call {@link RelayListener#open()} next. */
    public RelayListener build() {
      if (entityPath == null) {
        throw new IllegalArgumentException("No hybrid connection given: add EntityPath=... to the connection string "
            + "or call entityPath(...)");
      }
      return new RelayListener(this);
    }

    dev.hybridrelay.core.internal.ListenerConfig config() {
      java.util.List<RelayListenerEvents> events = this.events;
      if (metrics != RelayMetrics.NONE) {
        events = new java.util.ArrayList<>(events);
        events.add(new dev.hybridrelay.core.internal.ListenerMetricsEvents(metrics));
      }
      RelayConnectionString cs = endpoints.size() == 1
          ? connectionString.toBuilder().endpoint(endpoints.get(0)).build() : connectionString;
      return new dev.hybridrelay.core.internal.ListenerConfig(
          cs.withEntityPath(entityPath),
          tokenProvider != null ? tokenProvider : connectionString.tokenProvider(),
          operationTimeout, keepAliveInterval, tokenValidity,
          java.util.Map.copyOf(listenQuery),
          acceptHandler, connectionHandler,
          java.util.List.copyOf(events), backlog, receiveWindow, sendWindow, maxMessageSize,
          maxIncomingMessageSize, sslContext, acceptDeadline, requestHandler, maxConcurrentRequests,
          proxy.config());
    }
  }
}
