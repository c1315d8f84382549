package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayMetrics;
import dev.hybridrelay.core.TokenProvider;
import dev.hybridrelay.forward.ForwardOptions;
import dev.hybridrelay.forward.ForwardStats;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.forward.UdpLocalForwarder;
import dev.hybridrelay.micrometer.RelayClientMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.hybridrelay.cli.ForwardRun.Running;
import dev.hybridrelay.cli.ForwardRun.StartException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hybridrelay forward}: port forwarding over a relay with azbridge's options.
 *
 * <pre>
 * hybridrelay forward -x "$CS" -L 13389/rdp:myhc            # cloud side: 127.0.0.1:13389 → hc myhc, port name rdp
 * hybridrelay forward -x "$CS" -T myhc:rdp/10.0.0.5:3389     # edge side:  hc myhc, port name rdp → 10.0.0.5:3389
 * hybridrelay forward -x "$CS" -L 5353U:dns                 # UDP: 127.0.0.1:5353 → hc dns, port name 5353U
 * hybridrelay forward -x "$CS" -T dns:10.0.0.2:5353U         # UDP: hc dns, port name 5353U → 10.0.0.2:5353
 * hybridrelay forward -x "$CS" -H web:http/127.0.0.1:8080    # HTTP: https://{namespace}/web/… → http://127.0.0.1:8080/
 * hybridrelay forward -f forward.yml
 * </pre>
 */
@Command(name = "forward", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Forwards TCP ports and Unix sockets over a relay, compatible with azbridge.",
        "Cloud side: -L listens on a local port and forwards each connection through the relay.",
        "Edge side: -T listens on a hybrid connection and connects each relayed connection to a configured target.",
        "UDP, as azbridge: a port number followed by U (-L 5353U:hc, -T hc:10.0.0.2:5353U; port name 5353U).",
        "HTTP, as azbridge: -H hc:http/host:port answers the relay's HTTP requests from a local web service."},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  stopped normally",
        "  1  runtime failure (a local port could not be bound, a listener failed)",
        "  2  usage or configuration error",
        "  3  the relay refused: credentials (401/403) or no such hybrid connection (404)",
        "",
        "The connection string may also come from HYBRIDRELAY_CONNECTION_STRING or AZURE_BRIDGE_CONNECTIONSTRING,",
        "or from a file: -x @FILE (for example a systemd credential). Without a key or signature: Entra ID."})
public final class ForwardCommand implements java.util.concurrent.Callable<Integer> {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILURE = 1;
  static final int EXIT_USAGE = 2;
  static final int EXIT_REFUSED = 3;

  private static final Logger log = LoggerFactory.getLogger("hybridrelay.forward");

  @Option(names = "-x", paramLabel = "CONNECTION_STRING",
      description = "Relay connection string, or @FILE to read it from a file.")
  String connectionString;

  @Option(names = "-L", paramLabel = "[bind_address:]port[/port_name]:hc_name",
      description = "Local forward (cloud side); repeatable. Default bind address: loopback. "
          + "Also local_socket[/port_name]:hc_name for a Unix socket file.")
  List<String> localSpecs = new ArrayList<>();

  @Option(names = {"-T", "-R"}, paramLabel = "hc_name:[port_name/]host:port",
      description = "Remote forward (edge side); repeatable. Default port name: the port number. "
          + "Also hc_name:[port_name/]local_socket for a Unix socket file.")
  List<String> remoteSpecs = new ArrayList<>();

  @Option(names = {"-H", "--remote-http-forward"}, paramLabel = "hc_name:{http|https}/[host[/path]:]port",
      description = "HTTP forward (edge side), as azbridge: HTTP requests to the hybrid connection go to the "
          + "local web service (a reverse proxy). Default host: localhost.")
  List<String> httpSpecs = new ArrayList<>();

  @Option(names = "--http-timeout", paramLabel = "SECONDS",
      description = "-H: seconds to wait for the service's response head (then 504). Default 50.")
  Integer httpTimeoutSeconds;

  @Option(names = "-K", paramLabel = "RULE", description = "Shared access rule name (overrides the connection string's).")
  String keyName;

  @Option(names = "-k", paramLabel = "KEY", description = "Shared access key (overrides the connection string's).")
  String key;

  @Option(names = "--entra", description = "Authenticate with Entra ID (DefaultAzureCredential: environment, "
      + "workload or managed identity, Azure CLI login). Default, as azbridge: used when no key or signature is given.")
  boolean entra;

  @Option(names = "-f", paramLabel = "config.yml", description = "YAML configuration file (same content as the options).")
  Path configFile;

  @Option(names = "-g", description = "Allow binding local forwards beyond loopback (GatewayPorts); "
      + "without -L address, binds all interfaces.")
  boolean gatewayPorts;

  @Option(names = "-b", paramLabel = "ADDRESS", description = "Source address for connections to targets.")
  String sourceAddress;

  @Option(names = {"-a", "--keep-alive-interval"}, paramLabel = "SECONDS",
      description = "Keep-alive interval of the -T listeners' control connection, as azbridge. Default 30.")
  Integer keepAliveSeconds;

  @Option(names = "-o", paramLabel = "Key:value",
      description = "A configuration file key, as azbridge (e.g. -o GatewayPorts:true); repeatable.")
  List<String> configOptions = new ArrayList<>();

  @Option(names = "--listener-endpoints", paramLabel = "sb://host:port,...", split = ",",
      description = "Register the -T/-H listeners with each of these relay nodes at once (a pool of independent "
          + "relays behind a load balancer) instead of the connection string's endpoint.")
  List<String> listenerEndpoints = new ArrayList<>();

  @Option(names = "--status-interval", paramLabel = "SECONDS", description = "Seconds between summary lines; 0: none. Default 60.")
  Integer statusIntervalSeconds;

  @Option(names = "--max-connections", paramLabel = "N", description = "Concurrent connections per forwarder. Default 1000.")
  Integer maxConnections;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "Abort connections idle this long; 0: never (default).")
  Integer idleTimeoutSeconds;

  @Option(names = "--write-timeout", paramLabel = "SECONDS", description = "Abort when a write blocks this long. Default 60.")
  Integer writeTimeoutSeconds;

  @Option(names = "--udp-idle-timeout", paramLabel = "SECONDS",
      description = "Close UDP flows idle this long; 0: never. Default 240, as azbridge.")
  Integer udpIdleTimeoutSeconds;

  @Option(names = "--no-early-data",
      description = "-L: wait for the remote forwarder's preamble reply before sending the client's first bytes. "
          + "Default: send what the client already sent right after the preamble (saves a round trip).")
  boolean noEarlyData;

  @Option(names = "--strict-port-names",
      description = "Port names must match exactly. Default, as azbridge: a hybrid connection with one -T target "
          + "accepts any numeric port name for it.")
  boolean strictPortNames;

  @Option(names = "--proxy-protocol", paramLabel = "v1|v2",
      description = "-T: write a PROXY protocol header (v1 text, v2 binary) with the client's address to every TCP "
          + "and Unix socket target before any data. The target must expect it. Default: none.")
  String proxyProtocol;

  @Option(names = "--port-name-attempts", paramLabel = "N",
      description = "-L: listeners to try when one declines the port name (Azure Relay picks them at random). "
          + "Default 25.")
  Integer portNameAttempts;

  /** Earlier opt-in to the lone-target rule, which is now the default; accepted and ignored. */
  @Option(names = "--accept-any-numeric-port-name", hidden = true)
  boolean acceptAnyNumericPortName;

  @Option(names = "--socket-mode", paramLabel = "OCTAL",
      description = "Permissions of Unix socket files that -L listens on, e.g. 660. Default: as the umask leaves them.")
  String socketMode;

  @picocli.CommandLine.Mixin
  ProxyOptions proxyOptions = new ProxyOptions();

  @picocli.CommandLine.Mixin
  MetricsOptions metrics = new MetricsOptions();

  @Option(names = {"-v", "--verbose"}, description = "Log debugging details.")
  boolean verbose;

  @Option(names = {"-q", "--quiet"}, description = "Log only warnings and errors.")
  boolean quiet;

  Function<String, String> environment = System::getenv;

  @Override
  public Integer call() {
    CliLogging.configure(verbose, quiet);
    ForwardPlan plan;
    try {
      plan = plan();
    } catch (ForwardConfigException e) {
      System.err.println("hybridrelay forward: " + e.getMessage());
      return EXIT_USAGE;
    }
    if (plan.logLevel != null && !verbose && !quiet) {
      CliLogging.configure(plan.logLevel);
    }
    for (String w : plan.warnings) {
      log.warn(w);
    }
    MetricsEndpoint endpoint;
    PrometheusMeterRegistry registry;
    AtomicReference<Running> started = new AtomicReference<>();
    try {
      metrics.validate();
      registry = metrics.newRegistry();
      endpoint = metrics.start(registry, hcs -> {
        if (!hcs.isEmpty()) {
          throw new IllegalArgumentException("forward's /readyz takes no parameters (hc= is serve's)");
        }
        Running r = started.get();
        return r == null ? List.of("starting") : r.notReadyReasons();
      });
    } catch (IllegalArgumentException e) {
      System.err.println("hybridrelay forward: " + e.getMessage());
      return EXIT_USAGE;
    } catch (IOException e) {
      log.error(e.getMessage());
      return EXIT_FAILURE;
    }
    Running running;
    try {
      running = ForwardRun.start(plan, proxyOptions, registry);
    } catch (StartException e) {
      log.error(e.getMessage());
      if (endpoint != null) {
        endpoint.close();
      }
      return e.exitCode;
    }
    running.endpoint = endpoint;
    started.set(running);
    Thread hook = new Thread(running::close, "hybridrelay-forward-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    int code = running.awaitFailure();
    running.close();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException ignored) {
      // shutting down already
    }
    return code;
  }

  /** Merges the configuration file, the environment and the options, and checks the result. */
  ForwardPlan plan() throws ForwardConfigException {
    ForwardPlan plan = new ForwardPlan();
    if (configFile != null) {
      ForwardConfigFile.read(configFile, plan, environment);
    }
    for (String o : configOptions) {
      ForwardConfigFile.readOption(o, plan, environment);
    }
    if (keepAliveSeconds != null) {
      if (keepAliveSeconds < 1 || keepAliveSeconds > 3600) {
        throw new ForwardConfigException("-a: must be 1-3600 seconds, was " + keepAliveSeconds);
      }
      plan.keepAliveInterval = Duration.ofSeconds(keepAliveSeconds);
    }
    if (connectionString != null) {
      try {
        plan.connectionString = SecretFiles.valueOrFile("-x", connectionString);
      } catch (IllegalArgumentException e) {
        throw new ForwardConfigException(e.getMessage());
      }
      plan.connectionStringOrigin = connectionString.startsWith("@") ? "-x " + connectionString : "-x";
    } else if (plan.connectionString == null) {
      for (String var : List.of("HYBRIDRELAY_CONNECTION_STRING", "AZURE_BRIDGE_CONNECTIONSTRING")) {
        String v = environment.apply(var);
        if (v != null && !v.isBlank()) {
          plan.connectionString = v;
          plan.connectionStringOrigin = "environment variable " + var;
          break;
        }
      }
    }
    if (keyName != null) {
      plan.sharedAccessKeyName = keyName;
    }
    if (key != null) {
      plan.sharedAccessKey = key;
    }
    plan.gatewayPorts |= gatewayPorts;
    plan.entra |= entra;
    if (sourceAddress != null) {
      ForwardSpecs.checkSourceAddress("-b", sourceAddress);
      plan.sourceAddress = sourceAddress;
      plan.sourceAddressOrigin = "-b";
    }
    if (statusIntervalSeconds != null) {
      plan.statusInterval = Duration.ofSeconds(nonNegative("--status-interval", statusIntervalSeconds));
    }
    if (maxConnections != null) {
      if (maxConnections < 1) {
        throw new ForwardConfigException("--max-connections: must be at least 1, was " + maxConnections);
      }
      plan.maxConnections = maxConnections;
    }
    if (idleTimeoutSeconds != null) {
      plan.idleTimeout = Duration.ofSeconds(nonNegative("--idle-timeout", idleTimeoutSeconds));
    }
    if (writeTimeoutSeconds != null) {
      plan.writeTimeout = Duration.ofSeconds(nonNegative("--write-timeout", writeTimeoutSeconds));
    }
    if (udpIdleTimeoutSeconds != null) {
      plan.udpIdleTimeout = Duration.ofSeconds(nonNegative("--udp-idle-timeout", udpIdleTimeoutSeconds));
    }
    if (!listenerEndpoints.isEmpty()) {
      plan.listenerEndpoints = listenerEndpoints("--listener-endpoints", listenerEndpoints);
    }
    plan.strictPortNames |= strictPortNames;
    plan.noEarlyData |= noEarlyData;
    if (proxyProtocol != null) {
      plan.proxyProtocol = ForwardConfigFile.proxyProtocol("--proxy-protocol", proxyProtocol, false);
    }
    if (portNameAttempts != null) {
      if (portNameAttempts < 1 || portNameAttempts > 1000) {
        throw new ForwardConfigException("--port-name-attempts: must be 1-1000, was " + portNameAttempts);
      }
      plan.portNameAttempts = portNameAttempts;
    }
    if (socketMode != null) {
      plan.socketMode = socketMode("--socket-mode", socketMode);
    }
    for (String s : localSpecs) {
      plan.localRules.addAll(ForwardSpecs.parseLocalList(s));
    }
    for (String s : remoteSpecs) {
      plan.remoteRules.addAll(ForwardSpecs.parseRemoteList(s));
    }
    for (String s : httpSpecs) {
      plan.httpRules.add(HttpRules.parse(s));
    }
    if (httpTimeoutSeconds != null) {
      if (httpTimeoutSeconds < 1) {
        throw new ForwardConfigException("--http-timeout: must be at least 1 second, was " + httpTimeoutSeconds);
      }
      plan.httpTimeout = Duration.ofSeconds(httpTimeoutSeconds);
    }
    validate(plan);
    return plan;
  }

  /** Checks a list of relay endpoints (sb://host[:port], no duplicates). */
  static List<String> listenerEndpoints(String origin, List<String> items) throws ForwardConfigException {
    List<String> out = new ArrayList<>();
    for (String raw : items) {
      String e = raw.trim();
      if (e.isEmpty()) {
        continue;
      }
      java.net.URI u;
      try {
        u = java.net.URI.create(e);
      } catch (IllegalArgumentException ex) {
        throw new ForwardConfigException(origin + ": '" + e + "' is not an address; expected sb://host:port");
      }
      if (!"sb".equalsIgnoreCase(u.getScheme()) || u.getHost() == null
          || (u.getPath() != null && !u.getPath().isEmpty() && !u.getPath().equals("/"))) {
        throw new ForwardConfigException(origin + ": '" + e + "' is not a relay endpoint; expected sb://host[:port] "
            + "(one per relay node, without the hybrid connection name)");
      }
      if (out.stream().anyMatch(x -> java.net.URI.create(x).equals(u))) {
        throw new ForwardConfigException(origin + ": '" + e + "' is given twice");
      }
      out.add(e);
    }
    if (out.isEmpty()) {
      throw new ForwardConfigException(origin + ": give at least one relay endpoint, for example sb://relay1:9090");
    }
    return List.copyOf(out);
  }

  /** An octal file mode such as {@code 660} or {@code 0600} as permissions. */
  static Set<PosixFilePermission> socketMode(String origin, String text) throws ForwardConfigException {
    if (!text.matches("0?[0-7]{3}")) {
      throw new ForwardConfigException(origin + ": expected an octal file mode such as 600 or 660, was '" + text + "'");
    }
    int mode = Integer.parseInt(text, 8);
    StringBuilder rwx = new StringBuilder();
    String letters = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      rwx.append((mode & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(rwx.toString());
  }

  private static int nonNegative(String option, int value) throws ForwardConfigException {
    if (value < 0) {
      throw new ForwardConfigException(option + ": must not be negative, was " + value);
    }
    return value;
  }

  private static void validate(ForwardPlan plan) throws ForwardConfigException {
    if (plan.localRules.isEmpty() && plan.remoteRules.isEmpty() && plan.httpRules.isEmpty()) {
      throw new ForwardConfigException("nothing to forward: give -L, -T and/or -H (or LocalForward/RemoteForward in -f)");
    }
    boolean everyRuleHasItsOwn = plan.localRules.stream().allMatch(r -> hasOwnConnectionString(plan, r.hybridConnection()))
        && plan.remoteRules.stream().allMatch(r -> hasOwnConnectionString(plan, r.hybridConnection()))
        && plan.httpRules.stream().allMatch(r -> hasOwnConnectionString(plan, r.hybridConnection()));
    if ((plan.connectionString == null || plan.connectionString.isBlank()) && !everyRuleHasItsOwn) {
      throw new ForwardConfigException("no connection string: give -x, set AzureRelayConnectionString in the "
          + "configuration file, or set HYBRIDRELAY_CONNECTION_STRING");
    }
    for (ForwardPlan.LocalRule r : plan.localRules) {
      requireEntity(connectionString(plan, r.hybridConnection()), r.hybridConnection(), r.origin());
    }
    for (ForwardPlan.RemoteRule r : plan.remoteRules) {
      requireEntity(connectionString(plan, r.hybridConnection()), r.hybridConnection(), r.origin());
    }
    for (ForwardPlan.HttpRule r : plan.httpRules) {
      requireEntity(connectionString(plan, r.hybridConnection()), r.hybridConnection(), r.origin());
    }
    HttpRules.validate(plan);
    for (ForwardPlan.LocalRule r : plan.localRules) {
      if (r.isUnixSocket()) {
        continue;
      }
      InetAddress a = bindAddress(plan, r);
      if (!plan.gatewayPorts && !a.isLoopbackAddress()) {
        throw new ForwardConfigException(r.origin() + ": binding " + a.getHostAddress() + " makes the port reachable "
            + "from other machines; add -g (GatewayPorts: true) to allow it");
      }
    }
    Map<String, ForwardPlan.RemoteRule> seen = new LinkedHashMap<>();
    for (ForwardPlan.RemoteRule r : plan.remoteRules) {
      String k = r.hybridConnection().toLowerCase(java.util.Locale.ROOT) + "\n" + r.effectivePortName();
      ForwardPlan.RemoteRule before = seen.put(k, r);
      if (before != null) {
        throw new ForwardConfigException(r.origin() + ": port name '" + r.effectivePortName()
            + "' on hybrid connection '" + r.hybridConnection() + "' is already forwarded by " + before.origin());
      }
    }
  }

  private static boolean hasOwnConnectionString(ForwardPlan plan, String hc) {
    return plan.hybridConnectionStrings.containsKey(hc.toLowerCase(java.util.Locale.ROOT));
  }

  private static void requireEntity(RelayConnectionString cs, String hc, String origin) throws ForwardConfigException {
    if (cs.entityPath() != null && !cs.entityPath().equalsIgnoreCase(hc)) {
      throw new ForwardConfigException(origin + ": the connection string is for hybrid connection '" + cs.entityPath()
          + "' (EntityPath), so it cannot forward '" + hc + "'; remove EntityPath or use that name");
    }
  }

  /**
   * The connection string for hybrid connection {@code hc}: its own ({@code ConnectionString} of an
   * azbridge configuration entry), else the global one with the -E/-K/-k/-S style overrides applied.
   */
  static RelayConnectionString connectionString(ForwardPlan plan, String hc) throws ForwardConfigException {
    String own = plan.hybridConnectionStrings.get(hc.toLowerCase(java.util.Locale.ROOT));
    if (own != null) {
      try {
        return RelayConnectionString.parse(own);
      } catch (IllegalArgumentException e) {
        throw new ForwardConfigException(plan.hybridConnectionStringOrigins.get(hc.toLowerCase(java.util.Locale.ROOT))
            + ": " + ForwardConfigFile.withoutValues(e.getMessage()));
      }
    }
    return connectionString(plan);
  }

  static RelayConnectionString connectionString(ForwardPlan plan) throws ForwardConfigException {
    RelayConnectionString cs;
    try {
      cs = RelayConnectionString.parse(plan.connectionString);
    } catch (IllegalArgumentException e) {
      throw new ForwardConfigException(plan.connectionStringOrigin + ": " + ForwardConfigFile.withoutValues(e.getMessage()));
    }
    if (plan.endpoint != null) {
      try {
        cs = cs.toBuilder().endpoint(plan.endpoint).build();
      } catch (IllegalArgumentException e) {
        throw new ForwardConfigException("AzureRelayEndpoint: " + e.getMessage());
      }
    }
    if (plan.sharedAccessSignature != null) {
      try {
        cs = cs.toBuilder().sharedAccessKey(null, null).sharedAccessSignature(plan.sharedAccessSignature).build();
      } catch (IllegalArgumentException e) {
        throw new ForwardConfigException("AzureRelaySharedAccessSignature: " + e.getMessage());
      }
    }
    if (plan.sharedAccessKeyName != null || plan.sharedAccessKey != null) {
      String name = plan.sharedAccessKeyName != null ? plan.sharedAccessKeyName : cs.sharedAccessKeyName();
      String k = plan.sharedAccessKey != null ? plan.sharedAccessKey : cs.sharedAccessKey();
      if (name == null || k == null) {
        throw new ForwardConfigException(name == null
            ? "-k/AzureRelaySharedAccessKey needs a rule name: give -K or SharedAccessKeyName in the connection string"
            : "-K/AzureRelaySharedAccessKeyName needs a key: give -k or SharedAccessKey in the connection string");
      }
      try {
        cs = cs.toBuilder().sharedAccessSignature(null).sharedAccessKey(name, k).build();
      } catch (IllegalArgumentException e) {
        throw new ForwardConfigException("-K/-k: " + e.getMessage());
      }
    }
    return cs;
  }

  static InetAddress bindAddress(ForwardPlan plan, ForwardPlan.LocalRule r) throws ForwardConfigException {
    if (r.bindAddress() == null) {
      return plan.gatewayPorts ? ForwardSpecs.checkBindAddress(r.origin(), "*") : InetAddress.getLoopbackAddress();
    }
    return ForwardSpecs.checkBindAddress(r.origin(), r.bindAddress());
  }

  static ForwardOptions options(ForwardPlan plan) {
    ForwardOptions.Builder b = ForwardOptions.builder();
    if (plan.noEarlyData) {
      b.earlyData(false);
    }
    if (plan.udpIdleTimeout != null) {
      b.udpIdleTimeout(plan.udpIdleTimeout);
    }
    if (plan.maxConnections != null) {
      b.maxConnections(plan.maxConnections);
    }
    if (plan.idleTimeout != null) {
      b.idleTimeout(plan.idleTimeout);
    }
    if (plan.writeTimeout != null) {
      b.writeTimeout(plan.writeTimeout);
    }
    if (plan.connectTimeout != null) {
      b.relayConnectTimeout(plan.connectTimeout);
    }
    return b.build();
  }

}
