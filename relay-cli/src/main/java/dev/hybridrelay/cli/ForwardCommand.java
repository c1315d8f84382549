package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.forward.ForwardOptions;
import dev.hybridrelay.forward.ForwardStats;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.forward.UdpLocalForwarder;
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
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
        "The connection string may also come from HYBRIDRELAY_CONNECTION_STRING or AZURE_BRIDGE_CONNECTIONSTRING."})
public final class ForwardCommand implements java.util.concurrent.Callable<Integer> {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILURE = 1;
  static final int EXIT_USAGE = 2;
  static final int EXIT_REFUSED = 3;

  private static final Logger log = LoggerFactory.getLogger("hybridrelay.forward");

  @Option(names = "-x", paramLabel = "CONNECTION_STRING", description = "Relay connection string.")
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

  @Option(names = "--strict-port-names",
      description = "Port names must match exactly. Default, as azbridge: a hybrid connection with one -T target "
          + "accepts any numeric port name for it.")
  boolean strictPortNames;

  /** Earlier opt-in to the lone-target rule, which is now the default; accepted and ignored. */
  @Option(names = "--accept-any-numeric-port-name", hidden = true)
  boolean acceptAnyNumericPortName;

  @Option(names = "--socket-mode", paramLabel = "OCTAL",
      description = "Permissions of Unix socket files that -L listens on, e.g. 660. Default: as the umask leaves them.")
  String socketMode;

  @picocli.CommandLine.Mixin
  ProxyOptions proxyOptions = new ProxyOptions();

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
    Running running;
    try {
      running = start(plan, proxyOptions);
    } catch (StartException e) {
      log.error(e.getMessage());
      return e.exitCode;
    }
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
      plan.connectionString = connectionString;
      plan.connectionStringOrigin = "-x";
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
    plan.strictPortNames |= strictPortNames;
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

  /** A failure to start, with its exit code. */
  static final class StartException extends Exception {
    final int exitCode;

    StartException(int exitCode, String message, Throwable cause) {
      super(message, cause);
      this.exitCode = exitCode;
    }
  }

  /** The running forwarders. */
  static final class Running implements AutoCloseable {
    final List<RemoteForwarder> remotes = new ArrayList<>();
    final List<dev.hybridrelay.forward.HttpForwarder> https = new ArrayList<>();
    final List<LocalForwarder> locals = new ArrayList<>();
    final List<UdpLocalForwarder> udpLocals = new ArrayList<>();
    private final CountDownLatch failed = new CountDownLatch(1);
    private final AtomicInteger failureCode = new AtomicInteger(EXIT_OK);
    private ScheduledExecutorService summary;
    private volatile boolean closed;

    void fail(int code, String message) {
      if (closed) {
        return;
      }
      log.error(message);
      failureCode.compareAndSet(EXIT_OK, code);
      failed.countDown();
    }

    /** Blocks until a forwarder fails for good; returns the exit code. */
    int awaitFailure() {
      try {
        failed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return failureCode.get();
    }

    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (summary != null) {
        summary.shutdownNow();
      }
      for (LocalForwarder l : locals) {
        l.close();
      }
      for (UdpLocalForwarder l : udpLocals) {
        l.close();
      }
      for (RemoteForwarder r : remotes) {
        r.close();
      }
      https.forEach(dev.hybridrelay.forward.HttpForwarder::close);
      failed.countDown();
    }
  }

  private static RelayConnectionString connectionStringForStart(ForwardPlan plan, String hc) throws StartException {
    try {
      return connectionString(plan, hc);
    } catch (ForwardConfigException e) {
      throw new StartException(EXIT_USAGE, e.getMessage(), e);
    }
  }


  /** Starts every forwarder of the plan; on failure, stops those already started. */
  static Running start(ForwardPlan plan) throws StartException {
    return start(plan, new ProxyOptions());
  }

  /** Starts the plan's forwarders, connecting to the relay as {@code proxyOptions} say. */
  static Running start(ForwardPlan plan, ProxyOptions proxyOptions) throws StartException {
    dev.hybridrelay.core.RelayProxy proxy;
    try {
      proxy = proxyOptions.relayProxy();
    } catch (IllegalArgumentException e) {
      throw new StartException(EXIT_USAGE, e.getMessage(), e);
    }
    InetAddress source = null;
    try {
      if (plan.sourceAddress != null) {
        source = ForwardSpecs.checkSourceAddress(plan.sourceAddressOrigin, plan.sourceAddress);
      }
    } catch (ForwardConfigException e) {
      throw new StartException(EXIT_USAGE, e.getMessage(), e);
    }
    ForwardOptions options = options(plan);
    ForwardStatus status = new ForwardStatus();
    Running running = new Running();
    try {
      Map<String, List<ForwardPlan.RemoteRule>> byHc = new LinkedHashMap<>();
      for (ForwardPlan.RemoteRule r : plan.remoteRules) {
        byHc.computeIfAbsent(r.hybridConnection(), k -> new ArrayList<>()).add(r);
      }
      for (Map.Entry<String, List<ForwardPlan.RemoteRule>> e : byHc.entrySet()) {
        String hc = e.getKey();
        RelayConnectionString cs = connectionStringForStart(plan, hc);
        RemoteForwarder.Builder b = RemoteForwarder.builder(cs).hybridConnection(hc).options(options).events(status)
            .sourceAddress(source).strictPortNames(plan.strictPortNames)
            .listenerCustomizer(lb -> ForwardListeners.events(plan, lb.proxy(proxy), hc, running));
        UdpRules.addTargets(b, e.getValue()); // and removes them from the list
        for (ForwardPlan.RemoteRule r : e.getValue()) {
          if (r.isUnixSocket()) {
            b.unixSocketTarget(r.effectivePortName(), Path.of(r.socketPath()));
          } else {
            b.target(r.effectivePortName(), r.host(), r.port());
          }
        }
        RemoteForwarder rf = b.build();
        ForwardListeners.start(hc, rf::start);
        running.remotes.add(rf);
      }
      for (ForwardPlan.HttpRule r : plan.httpRules) {
        String hc = r.hybridConnection();
        dev.hybridrelay.forward.HttpForwarder hf = HttpRules.forwarder(connectionStringForStart(plan, hc), r,
            plan.httpTimeout, lb -> ForwardListeners.events(plan, lb.proxy(proxy), hc, running));
        running.https.add(hf);
        ForwardListeners.start(hc, hf::start);
      }
      for (ForwardPlan.LocalRule r : plan.localRules) {
        RelayConnectionString cs = connectionStringForStart(plan, r.hybridConnection());
        boolean anonymous = plan.anonymousHybridConnections.contains(r.hybridConnection().toLowerCase(java.util.Locale.ROOT));
        if (r.isUnixSocket()) {
          LocalForwarder lf = LocalForwarder.builder(cs).hybridConnection(r.hybridConnection())
              .unixSocket(Path.of(r.socketPath())).socketPermissions(plan.socketMode)
              .senderCustomizer(sb -> sb.anonymous(anonymous).proxy(proxy))
              .portName(r.effectivePortName()).options(options).events(status).build();
          try {
            lf.start();
          } catch (IOException | IllegalArgumentException ex) {
            throw new StartException(EXIT_FAILURE, r.origin() + ": " + ex.getMessage(), ex);
          }
          running.locals.add(lf);
          continue;
        }
        InetAddress bind;
        try {
          bind = bindAddress(plan, r);
        } catch (ForwardConfigException ex) {
          throw new StartException(EXIT_USAGE, ex.getMessage(), ex);
        }
        if (r.udp()) {
          running.udpLocals.add(UdpRules.start(cs, r, bind, options, status, proxy));
          continue;
        }
        LocalForwarder lf = LocalForwarder.builder(cs).hybridConnection(r.hybridConnection()).bindAddress(bind)
            .senderCustomizer(sb -> sb.anonymous(anonymous).proxy(proxy))
            .port(r.port()).portName(r.effectivePortName()).options(options).events(status).build();
        try {
          lf.start();
        } catch (BindException ex) {
          throw new StartException(EXIT_FAILURE, r.origin() + ": cannot listen on " + bind.getHostAddress() + ":"
              + r.port() + ": " + ex.getMessage(), ex);
        } catch (IOException ex) {
          throw new StartException(EXIT_FAILURE, r.origin() + ": cannot listen: " + ex, ex);
        }
        running.locals.add(lf);
      }
    } catch (StartException | RuntimeException e) {
      running.close();
      throw e;
    }
    if (!plan.statusInterval.isZero()) {
      List<Supplier<ForwardStats>> stats = new ArrayList<>();
      running.locals.forEach(l -> stats.add(l::stats));
      running.udpLocals.forEach(l -> stats.add(l::stats));
      running.remotes.forEach(r -> stats.add(r::stats));
      running.https.forEach(r -> stats.add(r::stats));
      running.summary = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hybridrelay-forward-summary");
        t.setDaemon(true);
        return t;
      });
      long s = plan.statusInterval.toSeconds();
      running.summary.scheduleAtFixedRate(() -> ForwardStatus.LOG.info(ForwardStatus.summary(stats)), s, s,
          TimeUnit.SECONDS);
    }
    return running;
  }
}
