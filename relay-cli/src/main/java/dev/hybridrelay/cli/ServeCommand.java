package dev.hybridrelay.cli;

import dev.hybridrelay.micrometer.RelayServerMeters;
import dev.hybridrelay.server.AccessRights;
import dev.hybridrelay.server.LocalRelayServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hybridrelay serve}: runs a local relay until SIGINT or SIGTERM, then shuts it down
 * gracefully (control channels closed with 1001, relayed connections given the grace period).
 * Prints one {@code Endpoint=...} connection string per rule on standard output; logs go to
 * standard error.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a local relay that emulates Azure Relay Hybrid Connections.",
      "Prints a connection string per rule, then serves until interrupted (Ctrl+C / SIGTERM)."
    })
public final class ServeCommand implements Callable<Integer> {
  /** Default port of {@code serve} (the library's default is an ephemeral port). */
  static final int DEFAULT_PORT = 9090;

  @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--port", paramLabel = "N", defaultValue = "" + DEFAULT_PORT,
      description = "TCP port, 0 for an ephemeral port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--advertised-host", paramLabel = "HOST",
      description = "Host name for connection strings and accept addresses "
          + "(default: localhost for loopback and wildcard binds, else the bind address).")
  String advertisedHost;

  @Option(names = "--advertised-port", paramLabel = "N",
      description = "Port clients connect to, behind a reverse proxy (e.g. 443); default: --port.")
  Integer advertisedPort;

  @Option(names = "--advertised-scheme", paramLabel = "wss|ws",
      description = "Scheme clients use, behind a reverse proxy: wss when the proxy terminates TLS. "
          + "Default: wss with --tls-keystore, else ws.")
  String advertisedScheme;

  @Option(names = "--trusted-proxy", paramLabel = "CIDR",
      description = "Reverse proxy address or range (repeatable) whose X-Forwarded-For gives the sender's address.")
  List<String> trustedProxies = new ArrayList<>();

  @Option(names = "--proxy-protocol",
      description = "Connections from --trusted-proxy addresses start with a PROXY protocol v1 header (HAProxy send-proxy).")
  boolean proxyProtocol;

  @Option(names = "--rule", paramLabel = "NAME=KEY[:RIGHTS]",
      description = "SAS rule (repeatable). RIGHTS is a comma list of Listen, Send, Manage "
          + "(default: all three). Without --rule a rule RootManageSharedAccessKey with a random "
          + "key is generated.")
  List<String> rules = new ArrayList<>();

  @Option(names = "--hc", paramLabel = "NAME", description = "Hybrid connection to create (repeatable).")
  List<String> hybridConnections = new ArrayList<>();

  @Option(names = "--anonymous-hc", paramLabel = "NAME",
      description = "Hybrid connection whose senders need no token (repeatable).")
  List<String> anonymousHybridConnections = new ArrayList<>();

  @Option(names = "--rule-file", paramLabel = "FILE",
      description = "SAS rules, one NAME=KEY[:RIGHTS] per line ('#' comments), so that keys stay off the command "
          + "line (e.g. a systemd credential).")
  Path ruleFile;

  @Option(names = "--accept-bearer-token", paramLabel = "TOKEN|@FILE",
      description = "Also accept this exact token (e.g. a test JWT) with all rights (repeatable). "
          + "For tests of Entra ID clients: it is NOT validated as an Entra ID token.")
  List<String> bearerTokens = new ArrayList<>();

  @Option(names = "--hide-keys",
      description = "Print the connection strings with SharedAccessKey=*** (when standard output goes to a log).")
  boolean hideKeys;

  @Option(names = "--auto-create", description = "Create unknown hybrid connections on first listen.")
  boolean autoCreate;

  @Option(names = "--tls-keystore", paramLabel = "FILE",
      description = "PKCS#12 or JKS keystore: serve wss:// (TLS 1.2/1.3) instead of ws://.")
  Path tlsKeystore;

  @Option(names = "--tls-password", paramLabel = "PW", interactive = false,
      description = "Keystore (and key) password.")
  String tlsPassword;

  @Option(names = "--tls-provider", paramLabel = "auto|jdk|openssl",
      description = "TLS engine for --tls-keystore: jdk (auto, the default, or -Dhybridrelay.tls.provider), "
          + "or openssl: BoringSSL through netty-tcnative, faster, but a peer's TLS close_notify closes "
          + "both directions.")
  String tlsProvider;

  @Option(names = "--transport", paramLabel = "auto|nio|epoll",
      description = "Socket transport: auto (the default, or -Dhybridrelay.server.transport) is Netty's native "
          + "epoll where it loads (Linux x86-64), else the JDK's NIO; nio or epoll to choose.")
  String transport;

  @Option(names = "--max-listeners", paramLabel = "N", description = "Listeners per hybrid connection (default 25).")
  Integer maxListeners;

  @Option(names = "--max-connections", paramLabel = "N", description = "Open TCP connections (default 10000).")
  Integer maxConnections;

  @Option(names = "--max-pending-handshakes", paramLabel = "N", description = "Handshakes in progress (default 1000).")
  Integer maxPendingHandshakes;

  @Option(names = "--max-connections-per-address", paramLabel = "N",
      description = "Open TCP connections from one client IP address (default 1000).")
  Integer maxConnectionsPerAddress;

  @Option(names = "--max-frame", paramLabel = "BYTES", description = "Largest frame payload (default 4194304).")
  Integer maxFrame;

  @Option(names = "--max-message", paramLabel = "BYTES", description = "Largest relayed message (default 16777216).")
  Long maxMessage;

  @Option(names = "--accept-timeout", paramLabel = "DURATION",
      description = "How long a sender waits for the listener, e.g. 30s, 500ms, PT1M (default 30s).")
  String acceptTimeout;

  @Option(names = "--handshake-timeout", paramLabel = "DURATION", description = "Handshake deadline (default 10s).")
  String handshakeTimeout;

  @Option(names = "--http-request-timeout", paramLabel = "DURATION",
      description = "HTTP request mode: wait for a listener's response, and longest idle response body "
          + "(default 60s, as the service); over it the sender gets 504.")
  String httpRequestTimeout;

  @Option(names = "--max-http-requests", paramLabel = "N",
      description = "HTTP requests in progress on the relay (default 1000); more get 503.")
  Integer maxHttpRequests;

  @Option(names = "--max-http-requests-per-listener", paramLabel = "N",
      description = "HTTP requests in progress per listener (default 100); more get 503.")
  Integer maxHttpRequestsPerListener;

  @Option(names = "--keep-alive", paramLabel = "DURATION", description = "Control-channel ping interval (default 30s).")
  String keepAlive;

  @Option(names = "--token-clock-skew", paramLabel = "DURATION", description = "Token expiry tolerance (default 5m).")
  String clockSkew;

  @Option(names = "--grace", paramLabel = "DURATION", description = "Shutdown grace period (default 5s).")
  String grace;

  @Option(names = "--close-timeout", paramLabel = "DURATION",
      description = "How long a side that sent its Close and half-closed TCP waits for the other side's Close (default 30s).")
  String closeTimeout;

  @CommandLine.Mixin
  MetricsOptions metrics = new MetricsOptions();

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Set by tests to stop the command without a signal. */
  final CountDownLatch stop = new CountDownLatch(1);
  /** The running server, for tests. */
  volatile LocalRelayServer server;
  /** The metrics endpoint, or null without --metrics-port; for tests. */
  volatile MetricsEndpoint metricsEndpoint;

  /**
   * {@code /readyz}: the relay accepts connections and, for each hybrid connection asked for
   * ({@code ?hc=NAME}), at least one listener's control channel is open on this node; a node of a
   * pool behind a load balancer so takes senders only once it can hand them on.
   */
  static List<String> readiness(LocalRelayServer relay, List<String> hybridConnections) {
    List<String> reasons = new java.util.ArrayList<>();
    if (!relay.isRunning()) {
      reasons.add("the relay is not accepting connections (stopping or stopped)");
    }
    for (String hc : hybridConnections) {
      if (relay.listenerCount(hc) == 0) {
        reasons.add("no listener is registered for hybrid connection '" + hc + "'");
      }
    }
    return reasons;
  }

  @Override
  public Integer call() throws Exception {
    LocalRelayServer.Builder b = LocalRelayServer.builder().bindAddress(bind).port(port).autoCreate(autoCreate);
    try {
      configure(b);
      metrics.validate();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    PrometheusMeterRegistry registry = metrics.newRegistry();
    if (registry != null) {
      b.metrics(RelayServerMeters.bind(registry));
    }
    LocalRelayServer relay;
    try {
      relay = b.build();
    } catch (IllegalStateException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    MetricsEndpoint endpoint;
    try {
      relay.start();
      endpoint = metrics.start(registry, hcs -> readiness(relay, hcs));
    } catch (IOException e) {
      relay.close();
      spec.commandLine().getErr().println("hybridrelay serve: " + e.getMessage());
      return 1;
    }
    server = relay;
    metricsEndpoint = endpoint;
    Thread hook = new Thread(() -> {
      relay.close();
      if (endpoint != null) {
        endpoint.close();
      }
      stop.countDown();
    }, "hybridrelay-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);

    PrintWriter out = spec.commandLine().getOut();
    out.println("Local relay listening on " + (relay.isTls() ? "wss" : "ws") + "://" + bind + ":"
        + relay.port() + "/ (" + relay.endpoint() + ")"
        + (relay.isTls() ? ", TLS engine: " + relay.tlsEngine() : ""));
    for (String ruleName : ruleNames()) {
      String cs = relay.connectionString(ruleName);
      out.println(hideKeys ? cs.replaceAll("SharedAccessKey=[^;]*", "SharedAccessKey=***") : cs);
    }
    out.flush();
    stop.await();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is already running
    }
    relay.close();
    if (endpoint != null) {
      endpoint.close();
    }
    return 0;
  }

  private final List<String> ruleNames = new ArrayList<>();

  private List<String> ruleNames() {
    return ruleNames.isEmpty() ? List.of(LocalRelayServer.DEFAULT_RULE_NAME) : ruleNames;
  }

  private void configure(LocalRelayServer.Builder b) {
    if (advertisedHost != null) {
      b.advertisedHost(advertisedHost);
    }
    ReverseProxyOptions.apply(b, advertisedPort, advertisedScheme, trustedProxies, proxyProtocol);
    List<String> allRules = new ArrayList<>(rules);
    if (ruleFile != null) {
      int n = 0;
      for (String line : SecretFiles.read("--rule-file", ruleFile).split("\\R")) {
        n++;
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        if (t.indexOf('=') <= 0) {
          throw new IllegalArgumentException("--rule-file " + ruleFile + " line " + n
              + ": expected NAME=KEY[:RIGHTS], got '" + redact(t) + "'");
        }
        allRules.add(t);
      }
    }
    for (String token : bearerTokens) {
      b.acceptBearerToken(SecretFiles.valueOrFile("--accept-bearer-token", token));
    }
    for (String spec : allRules) {
      int eq = spec.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--rule expects NAME=KEY[:RIGHTS], got '" + redact(spec) + "'");
      }
      String name = spec.substring(0, eq);
      String keyAndRights = spec.substring(eq + 1);
      // Keys are Base64 and may end with '='; RIGHTS never contain '=' so split at the last ':'.
      int colon = keyAndRights.lastIndexOf(':');
      String key = keyAndRights;
      AccessRights[] rights = new AccessRights[0];
      if (colon >= 0 && isRightsList(keyAndRights.substring(colon + 1))) {
        key = keyAndRights.substring(0, colon);
        rights = parseRights(keyAndRights.substring(colon + 1));
      }
      b.rule(name, key, rights);
      if (!ruleNames.contains(name)) {
        ruleNames.add(name);
      }
    }
    for (String hc : hybridConnections) {
      b.hybridConnection(hc);
    }
    for (String hc : anonymousHybridConnections) {
      b.hybridConnection(hc, false);
    }
    if (tlsKeystore != null) {
      if (tlsPassword == null) {
        throw new IllegalArgumentException("--tls-keystore needs --tls-password");
      }
      b.tls(tlsKeystore, tlsPassword.toCharArray());
    }
    if (tlsProvider != null) {
      try {
        b.tlsProvider(LocalRelayServer.TlsProvider.valueOf(tlsProvider.trim().toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--tls-provider expects auto, jdk or openssl, got '" + tlsProvider + "'");
      }
    }
    if (transport != null) {
      try {
        b.transport(LocalRelayServer.Transport.valueOf(transport.trim().toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--transport expects auto, nio or epoll, got '" + transport + "'");
      }
    }
    if (maxListeners != null) {
      b.maxListenersPerHybridConnection(maxListeners);
    }
    if (maxConnections != null) {
      b.maxConnections(maxConnections);
    }
    if (maxPendingHandshakes != null) {
      b.maxPendingHandshakes(maxPendingHandshakes);
    }
    if (maxConnectionsPerAddress != null) {
      b.maxConnectionsPerAddress(maxConnectionsPerAddress);
    }
    if (maxFrame != null) {
      b.maxFramePayload(maxFrame);
    }
    if (maxMessage != null) {
      b.maxMessageSize(maxMessage);
    }
    if (acceptTimeout != null) {
      b.acceptTimeout(duration("--accept-timeout", acceptTimeout));
    }
    if (handshakeTimeout != null) {
      b.handshakeTimeout(duration("--handshake-timeout", handshakeTimeout));
    }
    if (httpRequestTimeout != null) {
      b.httpRequestTimeout(duration("--http-request-timeout", httpRequestTimeout));
    }
    if (maxHttpRequests != null) {
      b.maxHttpRequests(maxHttpRequests);
    }
    if (maxHttpRequestsPerListener != null) {
      b.maxHttpRequestsPerListener(maxHttpRequestsPerListener);
    }
    if (keepAlive != null) {
      b.keepAliveInterval(duration("--keep-alive", keepAlive));
    }
    if (clockSkew != null) {
      b.tokenClockSkew(duration("--token-clock-skew", clockSkew));
    }
    if (grace != null) {
      b.shutdownGracePeriod(duration("--grace", grace));
    }
    if (closeTimeout != null) {
      b.closeTimeout(duration("--close-timeout", closeTimeout));
    }
  }

  private static String redact(String ruleSpec) {
    int eq = ruleSpec.indexOf('=');
    return eq < 0 ? ruleSpec : ruleSpec.substring(0, eq) + "=***";
  }

  private static boolean isRightsList(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (String r : s.split(",")) {
      String t = r.trim().toLowerCase(Locale.ROOT);
      if (!(t.equals("listen") || t.equals("send") || t.equals("manage"))) {
        return false;
      }
    }
    return true;
  }

  private static AccessRights[] parseRights(String s) {
    List<AccessRights> out = new ArrayList<>();
    for (String r : s.split(",")) {
      out.add(AccessRights.valueOf(r.trim().toUpperCase(Locale.ROOT)));
    }
    return out.toArray(new AccessRights[0]);
  }

  /** Parses {@code 30s}, {@code 500ms}, {@code 5m}, {@code 1h} or ISO-8601 ({@code PT30S}). */
  static Duration duration(String option, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
        return Duration.ofSeconds(Long.parseLong(t));
      }
      if (t.startsWith("pt") || t.startsWith("p")) {
        return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
      }
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      switch (t.charAt(t.length() - 1)) {
        case 's':
          return Duration.ofSeconds(n);
        case 'm':
          return Duration.ofMinutes(n);
        case 'h':
          return Duration.ofHours(n);
        default:
          return Duration.ofSeconds(Long.parseLong(t));
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(option + ": cannot parse duration '" + text
          + "' (use e.g. 30s, 500ms, 5m or PT30S)");
    }
  }
}
