package dev.hybridrelay.cli;

import static dev.hybridrelay.cli.ForwardCommand.EXIT_FAILURE;
import static dev.hybridrelay.cli.ForwardCommand.EXIT_OK;
import static dev.hybridrelay.cli.ForwardCommand.EXIT_REFUSED;
import static dev.hybridrelay.cli.ForwardCommand.EXIT_USAGE;
import static dev.hybridrelay.cli.ForwardCommand.bindAddress;
import static dev.hybridrelay.cli.ForwardCommand.connectionString;
import static dev.hybridrelay.cli.ForwardCommand.options;

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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Starts the forwarders of a checked {@link ForwardPlan} and holds them while they run
 * ({@link Running}); {@link ForwardCommand} parses and checks the command line, this class acts on
 * it. Also used by {@code demo}.
 */
final class ForwardRun {
  private static final Logger log = LoggerFactory.getLogger("hybridrelay.forward");

  private ForwardRun() {}

  /** How many listeners a local forwarder may try for a port name. */
  private static int attempts(ForwardPlan plan) {
    return plan.portNameAttempts == null ? LocalForwarder.DEFAULT_PORT_NAME_ATTEMPTS : plan.portNameAttempts;
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
    /** The metrics endpoint (--metrics-port), closed last; null without it. */
    volatile MetricsEndpoint endpoint;

    /** What {@code /readyz} reports; see {@link ForwardMetrics#notReadyReasons}. */
    List<String> notReadyReasons() {
      return ForwardMetrics.notReadyReasons(this, closed);
    }

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
      MetricsEndpoint e = endpoint;
      if (e != null) {
        e.close();
      }
      failed.countDown();
    }
  }

  private static TokenProvider tokenProvider(EntraAuth entra, RelayConnectionString cs, String hc, boolean anonymous)
      throws StartException {
    try {
      return entra.forHybridConnection(cs, hc, anonymous);
    } catch (ForwardConfigException e) {
      throw new StartException(EXIT_USAGE, e.getMessage(), e);
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
    return start(plan, proxyOptions, null);
  }

  /**
   * Starts the plan's forwarders; with a {@code registry}, their listeners, senders and counters
   * report to it ({@link RelayClientMeters}, {@link ForwardMetrics#register}).
   */
  static Running start(ForwardPlan plan, ProxyOptions proxyOptions, MeterRegistry registry) throws StartException {
    RelayMetrics client = registry == null ? RelayMetrics.NONE : RelayClientMeters.bind(registry);
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
    EntraAuth entra = new EntraAuth(plan.entra, plan.entraFactory);
    try {
      Map<String, List<ForwardPlan.RemoteRule>> byHc = new LinkedHashMap<>();
      for (ForwardPlan.RemoteRule r : plan.remoteRules) {
        byHc.computeIfAbsent(r.hybridConnection(), k -> new ArrayList<>()).add(r);
      }
      for (Map.Entry<String, List<ForwardPlan.RemoteRule>> e : byHc.entrySet()) {
        String hc = e.getKey();
        RelayConnectionString cs = connectionStringForStart(plan, hc);
        TokenProvider tp = tokenProvider(entra, cs, hc, false);
        RemoteForwarder.Builder b = RemoteForwarder.builder(cs).hybridConnection(hc).options(options).events(status)
            .sourceAddress(source).strictPortNames(plan.strictPortNames)
            .listenerCustomizer(lb -> ForwardListeners.events(plan, lb.proxy(proxy).metrics(client).tokenProvider(tp), hc, running));
        UdpRules.addTargets(b, e.getValue()); // and removes them from the list
        for (ForwardPlan.RemoteRule r : e.getValue()) {
          if (r.isUnixSocket()) {
            b.unixSocketTarget(r.effectivePortName(), Path.of(r.socketPath()));
          } else {
            b.target(r.effectivePortName(), r.host(), r.port());
          }
          String pp = plan.ruleProxyProtocols.getOrDefault(r, plan.proxyProtocol);
          if (pp != null && !pp.equals("none")) {
            b.proxyProtocol(r.effectivePortName(), dev.hybridrelay.forward.ProxyProtocol.parse(pp));
          }
        }
        RemoteForwarder rf = b.build();
        ForwardListeners.start(hc, rf::start);
        running.remotes.add(rf);
      }
      for (ForwardPlan.HttpRule r : plan.httpRules) {
        String hc = r.hybridConnection();
        RelayConnectionString hcs = connectionStringForStart(plan, hc);
        TokenProvider tp = tokenProvider(entra, hcs, hc, false);
        dev.hybridrelay.forward.HttpForwarder hf = HttpRules.forwarder(hcs, r,
            plan.httpTimeout, lb -> ForwardListeners.events(plan, lb.proxy(proxy).metrics(client).tokenProvider(tp), hc, running));
        running.https.add(hf);
        ForwardListeners.start(hc, hf::start);
      }
      for (ForwardPlan.LocalRule r : plan.localRules) {
        RelayConnectionString cs = connectionStringForStart(plan, r.hybridConnection());
        boolean anonymous = plan.anonymousHybridConnections.contains(r.hybridConnection().toLowerCase(java.util.Locale.ROOT));
        TokenProvider tp = tokenProvider(entra, cs, r.hybridConnection(), anonymous);
        if (r.isUnixSocket()) {
          LocalForwarder lf = LocalForwarder.builder(cs).hybridConnection(r.hybridConnection())
              .portNameAttempts(attempts(plan))
              .unixSocket(Path.of(r.socketPath())).socketPermissions(plan.socketMode)
              .senderCustomizer(sb -> sb.anonymous(anonymous).proxy(proxy).metrics(client).tokenProvider(tp))
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
          running.udpLocals.add(UdpRules.start(cs, r, bind, options, status, proxy, client, tp));
          continue;
        }
        LocalForwarder lf = LocalForwarder.builder(cs).hybridConnection(r.hybridConnection())
            .portNameAttempts(attempts(plan)).bindAddress(bind)
            .senderCustomizer(sb -> sb.anonymous(anonymous).proxy(proxy).metrics(client).tokenProvider(tp))
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
    if (registry != null) {
      ForwardMetrics.register(registry, running);
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
