package dev.hybridrelay.server.internal;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/** Immutable, validated settings of one local relay server (built by the public builder). */
public record RelaySettings(
    InetAddress bindAddress,
    int port,
    String advertisedHost,
    List<AuthRule> namespaceRules,
    List<HybridConnectionDefinition> hybridConnections,
    boolean autoCreate,
    ServerTls serverTls,
    int maxFramePayload,
    long maxMessageSize,
    int maxControlMessageSize,
    Duration handshakeTimeout,
    int maxHandshakeBytes,
    int maxConnections,
    int maxPendingHandshakes,
    int maxConnectionsPerAddress,
    int maxListenersPerHybridConnection,
    Duration acceptTimeout,
    Duration tokenClockSkew,
    Duration keepAliveInterval,
    Duration shutdownGracePeriod,
    Consumer<Throwable> fatalErrorHandler,
    Duration closeTimeout,
    Duration httpRequestTimeout,
    int maxHttpRequests,
    int maxHttpRequestsPerListener,
    Frontend frontend,
    boolean randomListenerChoice,
    NettyTransport transport) {

  /** How long a relayed leg that sent its Close and half-closed TCP waits for the other side's Close. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

  public RelaySettings {
    namespaceRules = List.copyOf(namespaceRules);
    hybridConnections = List.copyOf(hybridConnections);
    frontend = frontend == null ? Frontend.NONE : frontend;
    transport = transport == null ? NettyTransport.choose(null) : transport;
  }

  /** Settings with the default transport (see {@link NettyTransport#choose}). */
  public RelaySettings(InetAddress bindAddress, int port, String advertisedHost, List<AuthRule> namespaceRules,
      List<HybridConnectionDefinition> hybridConnections, boolean autoCreate, ServerTls serverTls,
      int maxFramePayload, long maxMessageSize, int maxControlMessageSize, Duration handshakeTimeout,
      int maxHandshakeBytes, int maxConnections, int maxPendingHandshakes, int maxConnectionsPerAddress,
      int maxListenersPerHybridConnection, Duration acceptTimeout, Duration tokenClockSkew,
      Duration keepAliveInterval, Duration shutdownGracePeriod, Consumer<Throwable> fatalErrorHandler,
      Duration closeTimeout, Duration httpRequestTimeout, int maxHttpRequests, int maxHttpRequestsPerListener,
      Frontend frontend, boolean randomListenerChoice) {
    this(bindAddress, port, advertisedHost, namespaceRules, hybridConnections, autoCreate, serverTls,
        maxFramePayload, maxMessageSize, maxControlMessageSize, handshakeTimeout, maxHandshakeBytes, maxConnections,
        maxPendingHandshakes, maxConnectionsPerAddress, maxListenersPerHybridConnection, acceptTimeout,
        tokenClockSkew, keepAliveInterval, shutdownGracePeriod, fatalErrorHandler, closeTimeout, httpRequestTimeout,
        maxHttpRequests, maxHttpRequestsPerListener, frontend, randomListenerChoice, null);
  }

  /** Settings with port-name-aware listener choice (the default). */
  public RelaySettings(InetAddress bindAddress, int port, String advertisedHost, List<AuthRule> namespaceRules,
      List<HybridConnectionDefinition> hybridConnections, boolean autoCreate, ServerTls serverTls,
      int maxFramePayload, long maxMessageSize, int maxControlMessageSize, Duration handshakeTimeout,
      int maxHandshakeBytes, int maxConnections, int maxPendingHandshakes, int maxConnectionsPerAddress,
      int maxListenersPerHybridConnection, Duration acceptTimeout, Duration tokenClockSkew,
      Duration keepAliveInterval, Duration shutdownGracePeriod, Consumer<Throwable> fatalErrorHandler,
      Duration closeTimeout, Duration httpRequestTimeout, int maxHttpRequests, int maxHttpRequestsPerListener,
      Frontend frontend) {
    this(bindAddress, port, advertisedHost, namespaceRules, hybridConnections, autoCreate, serverTls,
        maxFramePayload, maxMessageSize, maxControlMessageSize, handshakeTimeout, maxHandshakeBytes, maxConnections,
        maxPendingHandshakes, maxConnectionsPerAddress, maxListenersPerHybridConnection, acceptTimeout,
        tokenClockSkew, keepAliveInterval, shutdownGracePeriod, fatalErrorHandler, closeTimeout, httpRequestTimeout,
        maxHttpRequests, maxHttpRequestsPerListener, frontend, false);
  }

  public boolean tls() {
    return serverTls != null;
  }

  /** The scheme clients use: the reverse proxy's when set, else the relay's own. */
  public boolean publicTls() {
    return frontend.tls() != null ? frontend.tls() : tls();
  }
}
