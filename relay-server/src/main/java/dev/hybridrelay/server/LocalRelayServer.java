package dev.hybridrelay.server;

import dev.hybridrelay.server.internal.AuthRule;
import dev.hybridrelay.server.internal.HybridConnectionDefinition;
import dev.hybridrelay.server.internal.RelayEngine;
import dev.hybridrelay.server.internal.RelayNames;
import dev.hybridrelay.server.internal.RelaySettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local relay server that speaks the Azure Relay Hybrid Connections WebSocket protocol, for
 * development and tests: listeners, senders and rendezvous on one port, SAS authorization, the
 * service's status codes and reason phrases.
 *
 * <pre>{@code
 * try (LocalRelayServer relay = LocalRelayServer.builder().autoCreate(true).build().start()) {
 *   String cs = relay.connectionString("RootManageSharedAccessKey", "orders");
 *   // Endpoint=sb://localhost:41234/;SharedAccessKeyName=...;SharedAccessKey=...;EntityPath=orders;UseDevelopmentEmulator=true
 * }
 * }</pre>
 *
 * <h2>Endpoints</h2>
 * WebSocket upgrades at {@code /$hc/{hybrid-connection}[/{suffix}]} with {@code sb-hc-action}
 * {@code listen} (listener control channel), {@code connect} or none (sender), {@code accept}
 * (rendezvous, address from the {@code accept} notification). Hybrid connection names may contain
 * {@code /}: a sender path is split by the <em>longest registered name</em> that is a whole-segment
 * prefix; a listener must name the hybrid connection exactly. Names are case-insensitive.
 *
 * <p>HTTP request mode: plain HTTP requests to {@code /{hybrid-connection}[/…]} on the same port go
 * to one listener as {@code request} messages (inline up to 64 KiB, else over a rendezvous socket with
 * {@code sb-hc-action=request}), bodies streaming both ways with backpressure; keep-alive, chunked
 * bodies, HEAD and {@code Expect: 100-continue} are supported. Relay errors there have a JSON body
 * {@code {"error":{"code","message"}}} and no {@code Via}: 401/403 {@code TokenMissingOrInvalid}
 * (401 with {@code WWW-Authenticate: SharedAccessSignature}), 404 (unknown hybrid connection or no
 * listener), 502 (listener failed), 503 (limits), 504 after {@link Builder#httpRequestTimeout}. A
 * request to {@code /} gets 404.
 *
 * <h2>Threads</h2>
 * I/O runs on daemon threads named {@code hybridrelay-server-N-boss-*} and
 * {@code hybridrelay-server-N-io-*} (N numbers the servers in this JVM); they end after
 * {@link #close()}. Public methods are thread-safe. {@link #close()} and
 * {@link #shutdown(Duration)} block until the threads have ended, except when called from an I/O
 * thread, where they shut down asynchronously.
 *
 * <h2>Limits</h2>
 * Every limit has a builder method; the defaults are listed there. Over a frame or message
 * limit the connection is closed with 1009 (both legs of a relayed connection); handshakes over
 * the byte cap get 431, over the deadline 408; connections over {@link Builder#maxConnections},
 * {@link Builder#maxPendingHandshakes} or {@link Builder#maxConnectionsPerAddress} (per remote IP
 * address) are dropped at accept.
 *
 * <h2>Failures</h2>
 * A {@link java.lang.Error} on an I/O thread (for example {@link OutOfMemoryError}) goes to the
 * {@link Builder#fatalErrorHandler fatal error handler}; by default it is logged and the server is
 * closed, so that it never keeps running without serving. Secrets (keys, tokens, signatures,
 * rendezvous addresses) are never logged and never appear in exception messages.
 */
public final class LocalRelayServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalRelayServer.class);

  /** Name of the rule generated when none is configured. */
  public static final String DEFAULT_RULE_NAME = "RootManageSharedAccessKey";

  private final RelaySettings settings;
  private final RelayEngine engine;
  private final RelayServerMetrics metrics;
  private final Map<String, AuthRule> namespaceRulesByName = new LinkedHashMap<>();

  private LocalRelayServer(RelaySettings settings, RelayServerMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
    this.engine = new RelayEngine(settings, metrics);
    for (AuthRule r : settings.namespaceRules()) {
      if (r.isBearer()) {
        continue;
      }
      namespaceRulesByName.putIfAbsent(r.name(), r);
    }
  }

  /** Returns a new builder with every default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds the port and starts serving. Returns once the socket is bound.
   *
   * @return this server
   * @throws IOException if the address cannot be bound (for example the port is in use); the
   *     message names the address and port
   * @throws IllegalStateException if already started or closed
   */
  public LocalRelayServer start() throws IOException {
    engine.start();
    metrics.started(this);
    return this;
  }

  /**
   * Graceful shutdown with the configured {@link Builder#shutdownGracePeriod grace period}: stop
   * accepting, close listener control channels with 1001, answer waiting senders with 503, let
   * relayed connections finish until the grace period ends, then abort the rest. Idempotent.
   */
  @Override
  public void close() {
    shutdown(settings.shutdownGracePeriod());
  }

  /** Like {@link #close()} with an explicit grace period for relayed connections. */
  public void shutdown(Duration grace) {
    Objects.requireNonNull(grace, "grace");
    engine.shutdown(grace.isNegative() ? Duration.ZERO : grace);
  }

  /** The bound port (the actual one when built with port 0). */
  public int port() {
    return engine.port();
  }

  /**
   * {@code sb://{advertisedHost}:{port}/}, the {@code Endpoint} of connection strings; the port is
   * the {@linkplain Builder#advertisedPort advertised port} when set.
   */
  public URI endpoint() {
    String host = settings.advertisedHost();
    if (host.indexOf(':') >= 0) {
      host = "[" + host + "]";
    }
    int publicPort = settings.frontend().port() > 0 ? settings.frontend().port() : port();
    return URI.create("sb://" + host + ":" + publicPort + "/");
  }

  /** Whether the server speaks TLS (wss). */
  public boolean isTls() {
    return settings.tls();
  }

  /**
   * The TLS engine that serves wss, for logs: {@code "JDK (SunJSSE)"} or {@code "OpenSSL (BoringSSL,
   * netty-tcnative)"}; null on a plain server. See {@link Builder#tlsProvider(TlsProvider)}.
   */
  public String tlsEngine() {
    return settings.tls() ? settings.serverTls().engineName() : null;
  }

  /**
   * Which TLS engine serves wss (default {@link #AUTO}, or the system property
   * {@code hybridrelay.tls.provider=auto|jdk|openssl} when the builder is not told).
   * {@link #OPENSSL} is Netty's OpenSSL engine (BoringSSL): it needs
   * {@code io.netty:netty-tcnative-boringssl-static} for this platform on the class path and the key
   * from a keystore ({@link Builder#tls(Path, char[])}). It answers a peer's TLS {@code close_notify}
   * by closing both directions, so a client that sends its WebSocket Close and then half-closes TLS
   * (as Jetty's does) does not get the other side's Close; that is why it is not the default.
   */
  public enum TlsProvider {
    /** The JDK's engine (the native one only when asked for, see above). */
    AUTO,
    /** Always the JDK's {@code SSLEngine}. */
    JDK,
    /** Netty's OpenSSL engine (BoringSSL); {@link Builder#build()} fails when it cannot be used. */
    OPENSSL
  }

  /**
   * The socket transport the relay runs on, for logs: {@code "epoll"} (Netty's native transport) or
   * {@code "nio"}. See {@link Builder#transport(Transport)}.
   */
  public String transportName() {
    return settings.transport().name();
  }

  /**
   * The relay's socket transport (default {@link #AUTO}, or the system property
   * {@code hybridrelay.server.transport=auto|nio|epoll} when the builder is not told). Both serve
   * the same protocol with the same limits; epoll spends less CPU per message (fewer system calls,
   * no selected-key set), see the Performance page.
   */
  public enum Transport {
    /** Netty's native epoll transport when it loads (Linux on x86-64 with the bundled native library), else NIO. */
    AUTO,
    /** Always the JDK's NIO selector. */
    NIO,
    /** Always epoll; {@link Builder#build()} fails where it cannot be loaded. */
    EPOLL
  }

  /** The host name used in connection strings and accept addresses. */
  public String advertisedHost() {
    return settings.advertisedHost();
  }

  /** Connection string for the first namespace rule, without {@code EntityPath}. */
  public String connectionString() {
    return connectionString(connectionStringRuleName(), null);
  }

  String connectionStringRuleName() {
    return settings.namespaceRules().get(0).name();
  }

  /** Connection string for the named namespace rule, without {@code EntityPath}. */
  public String connectionString(String ruleName) {
    return connectionString(ruleName, null);
  }

  /**
   * {@code Endpoint=sb://host:port/;SharedAccessKeyName=…;SharedAccessKey=…[;EntityPath=…]} and,
   * on a plain (non-TLS) server, {@code ;UseDevelopmentEmulator=true}. The rule is looked up among
   * the namespace rules, then among the rules of {@code entityPath}.
   *
   * @throws IllegalArgumentException if no such rule exists
   */
  public String connectionString(String ruleName, String entityPath) {
    AuthRule rule = namespaceRulesByName.get(ruleName);
    if (rule == null && entityPath != null) {
      for (HybridConnectionDefinition d : settings.hybridConnections()) {
        if (d.name().equalsIgnoreCase(entityPath)) {
          for (AuthRule r : d.rules()) {
            if (r.name().equals(ruleName)) {
              rule = r;
              break;
            }
          }
        }
      }
    }
    if (rule == null) {
      throw new IllegalArgumentException("No authorization rule named '" + ruleName
          + "'; configured namespace rules: " + namespaceRulesByName.keySet());
    }
    StringBuilder sb = new StringBuilder("Endpoint=").append(endpoint())
        .append(";SharedAccessKeyName=").append(rule.name())
        .append(";SharedAccessKey=").append(rule.key());
    if (entityPath != null) {
      sb.append(";EntityPath=").append(entityPath);
    }
    if (!settings.publicTls()) {
      sb.append(";UseDevelopmentEmulator=true");
    }
    return sb.toString();
  }

  /** Number of listeners on {@code hybridConnection} whose control channel is open, so that senders are routed to them now (0 if unknown). */
  public int listenerCount(String hybridConnection) {
    return engine.listenerCount(hybridConnection);
  }

  /** Listeners with an open control channel, over every hybrid connection. */
  public int listenerCount() {
    return engine.listenerCount();
  }

  /** Whether the server is started and accepting (not yet closing or closed). */
  public boolean isRunning() {
    return engine.isRunning();
  }

  /** Senders waiting for a listener to accept or reject. */
  public int pendingRendezvousCount() {
    return engine.pendingRendezvousCount();
  }

  /** Relayed (spliced) sender/listener pairs currently open. */
  public int activeConnectionCount() {
    return engine.activeConnectionCount();
  }

  /** HTTP requests (request mode) in progress: received and not yet completely answered. */
  public int activeHttpRequestCount() {
    return engine.activeHttpRequestCount();
  }

  /**
   * Open TCP connections from {@code address}, all kinds, as counted for
   * {@link Builder#maxConnectionsPerAddress} (0 if none).
   */
  public int connectionsFrom(InetAddress address) {
    return engine.connectionsFrom(Objects.requireNonNull(address, "address"));
  }

  /**
   * Fault hook: closes every listener control channel with {@code closeCode} and {@code reason}
   * (for example 1001 to simulate the service's periodic listener recycle). Relayed connections
   * are not affected. Returns immediately.
   */
  public void dropControlChannels(int closeCode, String reason) {
    engine.dropControlChannels(closeCode, reason == null ? "" : reason);
  }

  /** Fault hook: drops every TCP connection at once (RST, no close frames). Keeps accepting. */
  public void abortAll() {
    engine.abortAll();
  }

  @Override
  public String toString() {
    return "LocalRelayServer{" + (engine.isRunning() ? endpoint() : "not running") + "}";
  }

  /**
   * Configures a {@link LocalRelayServer}. Not thread-safe; {@link #build()} validates and copies
   * the configuration, so a builder can be reused.
   */
  public static final class Builder {
    private InetAddress bindAddress;
    private int port = 0;
    private String advertisedHost;
    private Boolean advertisedTls;
    private int advertisedPort;
    private final List<String> trustedProxies = new ArrayList<>();
    private boolean proxyProtocol;
    private final List<AuthRule> rules = new ArrayList<>();
    private final List<AuthRule> bearerTokens = new ArrayList<>();
    private final Map<String, HcConfig> hybridConnections = new LinkedHashMap<>();
    private boolean autoCreate;
    private SSLContext sslContext;
    private KeyManagerFactory keyManagers;
    private TlsProvider tlsProvider;
    private Transport transport;
    private int maxFramePayload = 4 * 1024 * 1024;
    private long maxMessageSize = 16L * 1024 * 1024;
    private int maxControlMessageSize = 64 * 1024;
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private int maxHandshakeBytes = 16 * 1024;
    private int maxConnections = 10_000;
    private int maxPendingHandshakes = 1_000;
    private int maxConnectionsPerAddress = 1_000;
    private int maxListenersPerHybridConnection = 25;
    private boolean randomListenerChoice;
    private Duration acceptTimeout = Duration.ofSeconds(30);
    private Duration tokenClockSkew = Duration.ofMinutes(5);
    private Duration keepAliveInterval = Duration.ofSeconds(30);
    private Duration shutdownGracePeriod = Duration.ofSeconds(5);
    private Duration closeTimeout = RelaySettings.DEFAULT_CLOSE_TIMEOUT;
    private Consumer<Throwable> fatalErrorHandler;
    private Duration httpRequestTimeout = Duration.ofSeconds(60);
    private int maxHttpRequests = 1_000;
    private int maxHttpRequestsPerListener = 100;
    private RelayServerMetrics metrics = RelayServerMetrics.NONE;

    private static final class HcConfig {
      final String name;
      boolean requiresClientAuthorization = true;
      final List<AuthRule> rules = new ArrayList<>();

      HcConfig(String name) {
        this.name = name;
      }
    }

    private Builder() {}

    /** Address to bind (default {@code 127.0.0.1}). */
    public Builder bindAddress(InetAddress address) {
      this.bindAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /** Address to bind, as a literal or host name (default {@code 127.0.0.1}). */
    public Builder bindAddress(String address) {
      Objects.requireNonNull(address, "address");
      try {
        return bindAddress(InetAddress.getByName(address));
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("Unknown bind address: " + address, e);
      }
    }

    /** TCP port (default 0: an ephemeral port, see {@link LocalRelayServer#port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range 0..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Host name written into connection strings and accept addresses, and accepted as token
     * audience host. Default: {@code localhost} when bound to a loopback IPv4 address or to the
     * wildcard address, otherwise the bind address literal. For TLS it must match the
     * certificate.
     */
    public Builder advertisedHost(String host) {
      if (host == null || host.isBlank() || host.contains("/") || host.contains(" ")) {
        throw new IllegalArgumentException("invalid advertised host: " + host);
      }
      this.advertisedHost = host;
      return this;
    }

    /**
     * The port clients connect to when the relay runs behind a reverse proxy (nginx or HAProxy on
     * 443), written into connection strings and {@code accept} addresses instead of the bound port.
     * Default: the bound port.
     */
    public Builder advertisedPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("advertised port must be 1..65535: " + port);
      }
      this.advertisedPort = port;
      return this;
    }

    /**
     * The scheme clients use when a reverse proxy terminates TLS in front of a plain relay: {@code
     * true} writes {@code wss} into {@code accept} addresses and leaves {@code
     * UseDevelopmentEmulator} out of connection strings. Default: the relay's own ({@code wss} with
     * {@link #tls}, else {@code ws}).
     */
    public Builder advertisedTls(boolean tls) {
      this.advertisedTls = tls;
      return this;
    }

    /**
     * A reverse proxy in front of the relay (an IP address or CIDR range, e.g. {@code 127.0.0.1/32}
     * or {@code 10.0.0.0/8}); repeatable. For connections from these addresses the sender's
     * address given to listeners is taken from {@code X-Forwarded-For} (the right-most entry that is
     * not a trusted proxy); from any other peer the header is ignored. Default: none.
     *
     * @throws IllegalArgumentException for a malformed range
     */
    public Builder trustedProxy(String cidr) {
      new dev.hybridrelay.server.internal.Frontend(null, 0, List.of(cidr), false); // validates
      trustedProxies.add(cidr.trim());
      return this;
    }

    /**
     * Connections from {@linkplain #trustedProxy trusted proxies} start with a PROXY protocol
     * version 1 header (HAProxy's {@code send-proxy}); its source address is the sender's address
     * given to listeners. A trusted proxy's connection without a valid header is dropped; other
     * peers send none. Default: off.
     */
    public Builder proxyProtocol(boolean enabled) {
      this.proxyProtocol = enabled;
      return this;
    }

    /**
     * Adds a namespace-level SAS rule. Without rights it grants LISTEN, SEND and MANAGE. The key
     * is used as text (its UTF-8 bytes are the HMAC key), exactly as the service does. Several
     * rules may share a name (primary and secondary key). Without any rule, {@link #build()} adds
     * {@value LocalRelayServer#DEFAULT_RULE_NAME} with a random 32-byte Base64 key.
     */
    public Builder rule(String name, String key, AccessRights... rights) {
      rules.add(newRule(name, key, rights));
      return this;
    }

    /**
     * Also accepts this exact token in {@code ServiceBusAuthorization}, {@code sb-hc-token} and
     * {@code renewToken} (repeatable), for testing clients that send Entra ID tokens. It is a
     * static shared secret, compared as text: the local relay does <em>not</em> validate Entra ID
     * tokens (no signature, issuer, audience or role check) and such a token never expires here.
     * Without rights it grants LISTEN, SEND and MANAGE. SAS rules keep working beside it.
     *
     * @throws IllegalArgumentException if the token is empty, longer than 4096 characters, or starts
     *     with {@code SharedAccessSignature}
     */
    public Builder acceptBearerToken(String token, AccessRights... rights) {
      if (token == null || token.isBlank() || token.length() > 4096 || !token.equals(token.strip())) {
        throw new IllegalArgumentException("acceptBearerToken: the token must be 1-4096 characters without "
            + "surrounding spaces");
      }
      if (token.regionMatches(true, 0, "SharedAccessSignature", 0, "SharedAccessSignature".length())) {
        throw new IllegalArgumentException("acceptBearerToken: a SharedAccessSignature token is checked against "
            + "its rule; add the rule with rule(name, key) instead");
      }
      EnumSet<AccessRights> set = rights == null || rights.length == 0
          ? EnumSet.allOf(AccessRights.class) : EnumSet.copyOf(Arrays.asList(rights));
      bearerTokens.add(AuthRule.bearer(token, set));
      return this;
    }

    /** Registers a hybrid connection that requires sender authorization. */
    public Builder hybridConnection(String name) {
      return hybridConnection(name, true);
    }

    /**
     * Registers a hybrid connection. With {@code requiresClientAuthorization = false} senders may
     * connect without a token (any token they send is then not checked); listeners always need
     * one.
     */
    public Builder hybridConnection(String name, boolean requiresClientAuthorization) {
      hc(name).requiresClientAuthorization = requiresClientAuthorization;
      return this;
    }

    /** Adds a SAS rule on one hybrid connection (registered if needed). */
    public Builder hybridConnectionRule(String hybridConnection, String name, String key,
        AccessRights... rights) {
      hc(hybridConnection).rules.add(newRule(name, key, rights));
      return this;
    }

    private HcConfig hc(String name) {
      if (!RelayNames.isValidHybridConnectionName(name)) {
        throw new IllegalArgumentException("invalid hybrid connection name '" + name
            + "': 1-260 letters, digits, '.', '-', '_' or '/', starting and ending with a letter or digit");
      }
      return hybridConnections.computeIfAbsent(name.toLowerCase(java.util.Locale.ROOT),
          k -> new HcConfig(name));
    }

    private static AuthRule newRule(String name, String key, AccessRights... rights) {
      if (!RelayNames.isValidRuleName(name)) {
        throw new IllegalArgumentException("invalid rule name '" + name
            + "': 1-50 letters, digits, '.', '-' or '_', starting and ending with a letter or digit");
      }
      if (key == null || key.isEmpty() || key.length() > 256) {
        throw new IllegalArgumentException("rule '" + name + "': key must be 1-256 characters");
      }
      EnumSet<AccessRights> set = EnumSet.noneOf(AccessRights.class);
      if (rights == null || rights.length == 0) {
        set.addAll(EnumSet.allOf(AccessRights.class));
      } else {
        set.addAll(Arrays.asList(rights));
      }
      return new AuthRule(name, key, set);
    }

    /**
     * When {@code true}, a listener opening an unknown hybrid connection creates it (requiring
     * sender authorization, without HC-level rules). Default {@code false}: unknown names get
     * 404 "Endpoint does not exist.".
     */
    public Builder autoCreate(boolean autoCreate) {
      this.autoCreate = autoCreate;
      return this;
    }

    /**
     * Serves TLS (wss) with the key and certificate in {@code keystore} (PKCS#12 or JKS; the key
     * password must equal the store password). Only TLS 1.3 and 1.2 are enabled.
     *
     * @throws IllegalArgumentException if the keystore cannot be read
     */
    public Builder tls(Path keystore, char[] password) {
      Objects.requireNonNull(keystore, "keystore");
      try (InputStream in = Files.newInputStream(keystore)) {
        KeyStore ks;
        try {
          ks = KeyStore.getInstance(keystore.toFile(), password);
        } catch (IOException | GeneralSecurityException e) {
          ks = KeyStore.getInstance(KeyStore.getDefaultType());
          ks.load(in, password);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, new SecureRandom());
        tls(ctx);
        this.keyManagers = kmf;
        return this;
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalArgumentException("Cannot load TLS keystore " + keystore + ": " + e.getMessage(), e);
      }
    }

    /** Serves TLS (wss) with this context (server mode; TLS 1.3 and 1.2 only). */
    public Builder tls(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      this.keyManagers = null; // a given context is used as it is: the JDK engine
      return this;
    }

    /**
     * The TLS engine (default {@link TlsProvider#AUTO}, or the system property
     * {@code hybridrelay.tls.provider}). The native engine is optional: it needs
     * {@code io.netty:netty-tcnative-boringssl-static} on the class path and a keystore given with
     * {@link #tls(Path, char[])}.
     */
    public Builder tlsProvider(TlsProvider provider) {
      this.tlsProvider = Objects.requireNonNull(provider, "provider");
      return this;
    }

    /**
     * The socket transport (default {@link Transport#AUTO}, or the system property
     * {@code hybridrelay.server.transport}). Chosen when the server is built: {@link Transport#EPOLL}
     * where it cannot be loaded makes {@link #build()} throw {@link IllegalStateException}.
     */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** Largest WebSocket frame payload accepted (default 4 MiB); bigger frames: close 1009. */
    public Builder maxFramePayload(int bytes) {
      this.maxFramePayload = positive("maxFramePayload", bytes);
      return this;
    }

    /**
     * Largest relayed message, all continuation frames counted (default 16 MiB). Over it both
     * legs of the relayed connection are closed with 1009.
     */
    public Builder maxMessageSize(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxMessageSize <= 0: " + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /** Largest control-channel message (default 64 KiB); bigger: close 1009. */
    public Builder maxControlMessageSize(int bytes) {
      this.maxControlMessageSize = positive("maxControlMessageSize", bytes);
      return this;
    }

    /**
     * Time from TCP accept until the HTTP upgrade request is complete, TLS handshake included
     * (default 10 s). Over it: 408 (or a plain close before TLS is up).
     */
    public Builder handshakeTimeout(Duration timeout) {
      this.handshakeTimeout = positive("handshakeTimeout", timeout);
      return this;
    }

    /** Cap on the request line plus headers of a handshake (default 16 KiB). Over it: 431. */
    public Builder maxHandshakeBytes(int bytes) {
      this.maxHandshakeBytes = positive("maxHandshakeBytes", bytes);
      return this;
    }

    /** Open TCP connections, all kinds (default 10,000); further ones are dropped at accept. */
    public Builder maxConnections(int max) {
      this.maxConnections = positive("maxConnections", max);
      return this;
    }

    /** Connections still sending their handshake (default 1,000); further ones are dropped. */
    public Builder maxPendingHandshakes(int max) {
      this.maxPendingHandshakes = positive("maxPendingHandshakes", max);
      return this;
    }

    /**
     * Open TCP connections from one remote IP address, all kinds (control channels, senders,
     * rendezvous, handshakes in progress), default 1,000. A connection over the cap is dropped at
     * accept (RST, logged at WARN), before any byte is read, so that one address cannot use up
     * {@link #maxConnections} or {@link #maxPendingHandshakes} for everybody else. IPv4 and IPv6
     * addresses count separately (an IPv4-mapped IPv6 address counts as its IPv4 address). Every
     * local client shares the address {@code 127.0.0.1}: a relay that serves many loopback
     * connections (load tests, forwarders holding thousands of idle tunnels) must raise it.
     */
    public Builder maxConnectionsPerAddress(int max) {
      this.maxConnectionsPerAddress = positive("maxConnectionsPerAddress", max);
      return this;
    }

    /**
     * Control channels per hybrid connection (default 25, as in the service). One more is
     * refused with 403 and a reason starting {@code QuotaExceeded: MaximumListenersPerEndpoint}.
     */
    public Builder maxListenersPerHybridConnection(int max) {
      this.maxListenersPerHybridConnection = positive("maxListenersPerHybridConnection", max);
      return this;
    }

    /**
     * Random listener choice, as Azure Relay: every sender goes to a listener chosen at random,
     * whatever port name it asks for. Default {@code false}: a sender that names a port
     * ({@code hybridrelay-port} on its connect address) goes to a listener that announced that
     * port name ({@code hybridrelay-port} on its listen address), else to one that announced none;
     * senders without a port name, and hybrid connections whose listeners announce nothing, get
     * the random choice anyway. For tests of senders that must cope with the service's choice.
     */
    public Builder randomListenerChoice(boolean random) {
      this.randomListenerChoice = random;
      return this;
    }

    /**
     * How long a sender waits for the chosen listener to accept or reject (default 30 s); also
     * the lifetime of the accept address. Afterwards the sender gets 504 and the address 403.
     */
    public Builder acceptTimeout(Duration timeout) {
      this.acceptTimeout = positive("acceptTimeout", timeout);
      return this;
    }

    /**
     * Tolerance after a token's {@code se} (default 5 min): a token is refused, and a control
     * channel is closed with 1008, only when {@code now > se + skew}.
     */
    public Builder tokenClockSkew(Duration skew) {
      Objects.requireNonNull(skew, "skew");
      if (skew.isNegative()) {
        throw new IllegalArgumentException("tokenClockSkew < 0: " + skew);
      }
      this.tokenClockSkew = skew;
      return this;
    }

    /**
     * Idle time after which the relay pings a control channel (default 30 s); a channel that
     * stays silent for another interval is dropped.
     */
    public Builder keepAliveInterval(Duration interval) {
      this.keepAliveInterval = positive("keepAliveInterval", interval);
      return this;
    }

    /** How long {@link LocalRelayServer#close()} lets relayed connections finish (default 5 s). */
    public Builder shutdownGracePeriod(Duration grace) {
      Objects.requireNonNull(grace, "grace");
      if (grace.isNegative()) {
        throw new IllegalArgumentException("shutdownGracePeriod < 0: " + grace);
      }
      this.shutdownGracePeriod = grace;
      return this;
    }

    /**
     * How long a relayed connection's end that sent its Close frame and then shut down its TCP
     * output (FIN, or TLS {@code close_notify} then FIN, as Jetty's WebSocket client does) is kept
     * open for the other side's Close (default 30 s). Until then the relay still forwards the other
     * side's data and its Close to it (RFC 6455 section 5.5.1); afterwards both ends are closed, so
     * that half-closed sockets do not linger.
     */
    public Builder closeTimeout(Duration timeout) {
      this.closeTimeout = positive("closeTimeout", timeout);
      return this;
    }

    /**
     * Called, on the I/O thread and at most once, with the first {@link java.lang.Error} raised on
     * an I/O thread. Must not block. Default: log at ERROR and close the server asynchronously.
     * A process that embeds the relay as its main job may halt instead.
     */
    public Builder fatalErrorHandler(Consumer<Throwable> handler) {
      this.fatalErrorHandler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * HTTP request mode: how long the relay waits for a listener's response head, counted from the
     * last request-body byte forwarded, and how long a response body may stay idle (default 60 s,
     * the service's fixed value). Over it the sender gets 504 {@code GatewayTimeout} (or, once the
     * response head was sent, its connection is dropped).
     */
    public Builder httpRequestTimeout(Duration timeout) {
      this.httpRequestTimeout = positive("httpRequestTimeout", timeout);
      return this;
    }

    /**
     * HTTP requests in progress on the whole relay (default 1,000); one more is answered 503
     * {@code ServerBusy}. Each in-progress request holds at most 64 KiB of buffered body.
     */
    public Builder maxHttpRequests(int max) {
      this.maxHttpRequests = positive("maxHttpRequests", max);
      return this;
    }

    /**
     * HTTP requests in progress per listener control channel (default 100); a request routed to a
     * listener that has this many is answered 503 {@code ServerBusy}.
     */
    public Builder maxHttpRequestsPerListener(int max) {
      this.maxHttpRequestsPerListener = positive("maxHttpRequestsPerListener", max);
      return this;
    }

    /**
     * Receives the server's events for metrics (default {@link RelayServerMetrics#NONE}); see
     * {@link RelayServerMetrics} for the threads it is called on. The {@code relay-micrometer}
     * module provides one over a Micrometer registry. One instance per server.
     */
    public Builder metrics(RelayServerMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** Validates the configuration and creates an unstarted server. */
    public LocalRelayServer build() {
      InetAddress bind = bindAddress;
      if (bind == null) {
        try {
          bind = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
          throw new IllegalStateException(e);
        }
      }
      String host = advertisedHost;
      if (host == null) {
        boolean loopbackV4 = bind.isLoopbackAddress() && !(bind instanceof Inet6Address);
        host = loopbackV4 || bind.isAnyLocalAddress() ? "localhost" : bind.getHostAddress();
      }
      List<AuthRule> nsRules = new ArrayList<>(rules);
      if (nsRules.isEmpty()) {
        nsRules.add(newRule(DEFAULT_RULE_NAME, randomKey()));
      }
      nsRules.addAll(bearerTokens);
      List<HybridConnectionDefinition> hcs = new ArrayList<>();
      for (HcConfig c : hybridConnections.values()) {
        hcs.add(new HybridConnectionDefinition(c.name, c.requiresClientAuthorization, c.rules));
      }
      LocalRelayServer[] self = new LocalRelayServer[1];
      Consumer<Throwable> fatal = fatalErrorHandler != null ? fatalErrorHandler : error -> {
        log.error("Fatal error on a relay I/O thread; closing the local relay", error);
        LocalRelayServer s = self[0];
        if (s != null) {
          Thread t = new Thread(() -> s.shutdown(Duration.ZERO), "hybridrelay-server-fatal-close");
          t.setDaemon(true);
          t.start();
        }
      };
      if (proxyProtocol && trustedProxies.isEmpty()) {
        throw new IllegalStateException("proxyProtocol(true) needs trustedProxy(...): the PROXY header is read "
            + "only from trusted proxies");
      }
      dev.hybridrelay.server.internal.ServerTls serverTls = sslContext == null ? null
          : dev.hybridrelay.server.internal.ServerTls.create(sslContext, keyManagers,
              tlsProvider == null ? null : tlsProvider.name());
      RelaySettings settings = new RelaySettings(bind, port, host, nsRules, hcs, autoCreate,
          serverTls, maxFramePayload, maxMessageSize, maxControlMessageSize, handshakeTimeout,
          maxHandshakeBytes, maxConnections, maxPendingHandshakes, maxConnectionsPerAddress,
          maxListenersPerHybridConnection,
          acceptTimeout, tokenClockSkew, keepAliveInterval, shutdownGracePeriod, fatal, closeTimeout,
          httpRequestTimeout, maxHttpRequests, maxHttpRequestsPerListener,
          new dev.hybridrelay.server.internal.Frontend(advertisedTls, advertisedPort, trustedProxies,
              proxyProtocol), randomListenerChoice,
          dev.hybridrelay.server.internal.NettyTransport.choose(transport == null ? null : transport.name()));
      self[0] = new LocalRelayServer(settings, metrics);
      return self[0];
    }

    /** A random 32-byte key in Base64 (44 characters), like the keys the service generates. */
    public static String randomKey() {
      byte[] b = new byte[32];
      new SecureRandom().nextBytes(b);
      return Base64.getEncoder().encodeToString(b);
    }

    private static int positive(String what, int value) {
      if (value <= 0) {
        throw new IllegalArgumentException(what + " <= 0: " + value);
      }
      return value;
    }

    private static Duration positive(String what, Duration value) {
      Objects.requireNonNull(value, what);
      if (value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException(what + " must be positive: " + value);
      }
      return value;
    }
  }
}
