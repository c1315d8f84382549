package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelayListenerEvents;
import dev.hybridrelay.core.internal.Redaction;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hybridrelay listen}: the listening side of netcat over a relay. Accepts the connections
 * of a hybrid connection one at a time and pipes each to standard output and standard input to it
 * ({@code --echo}: sends every byte back, on any number of connections at once). Runs until
 * SIGINT or SIGTERM, which close the listener and the open connections cleanly. Standard output
 * carries only data; status lines go to standard error.
 */
@Command(name = "listen", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Accepts relay connections and pipes them to standard output, like netcat -l -k.",
        "One connection at a time (others wait their turn); standard input goes to it,",
        "and what one connection did not take goes to the next. --echo sends every byte",
        "back instead, on any number of connections at once. Runs until Ctrl+C or",
        "SIGTERM; status lines go to standard error."},
    footerHeading = "%nExit codes (when the listener stopped for good; Ctrl+C/SIGTERM: 130/143):%n",
    footer = ExitCodes.FOOTER)
public final class ListenCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger("hybridrelay.listen");

  @Mixin
  StdioOptions common = new StdioOptions();

  @Mixin
  ProxyOptions proxyOptions = new ProxyOptions();

  @Option(names = "--echo", description = "Echo every byte back to its sender, on many connections at once.")
  boolean echo;

  InputStream stdin = System.in;
  OutputStream stdout = new FileOutputStream(FileDescriptor.out);
  PrintStream stderr = System.err;

  private final AtomicInteger counter = new AtomicInteger();
  private final Set<RelayConnection> open = ConcurrentHashMap.newKeySet();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicReference<Throwable> offline = new AtomicReference<>();
  private volatile boolean stopping;
  private volatile RelayListener listener;
  private volatile String hcName;

  @Override
  public Integer call() {
    common.configureLogging();
    RelayConnectionString cs;
    try {
      cs = common.resolve();
    } catch (StdioOptions.UsageException e) {
      return error(ExitCodes.USAGE, e.getMessage());
    }
    String hc = cs.entityPath();
    hcName = hc;
    RelayListener.Builder b = RelayListener.builder(cs).events(new RelayListenerEvents() {
      @Override
      public void onConnecting(Throwable cause) {
        if (cause != null && !stopping) {
          log.warn("Lost the connection to the relay ({}); reconnecting", Redaction.text(cause.getMessage()));
        }
      }

      @Override
      public void onOffline(Throwable cause) {
        if (cause != null) {
          offline.compareAndSet(null, cause);
          stopped.countDown();
        }
      }
    });
    if (echo) {
      b.connectionHandler(this::echo);
    }
    try {
      b.proxy(proxyOptions.relayProxy()).tokenProvider(common.tokenProvider(cs));
    } catch (StdioOptions.UsageException | IllegalArgumentException e) {
      return error(ExitCodes.USAGE, e.getMessage());
    }
    RelayListener l = b.build();
    try {
      l.open();
    } catch (IOException e) {
      closeQuietly(l);
      return error(ExitCodes.of(e), describeOpenFailure(hc, e));
    }
    listener = l;
    Thread hook = new Thread(this::stop, "hybridrelay-listen-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    log.info("Listening on hybrid connection '{}' at {}{}", hc, l.address(), echo ? " (echo)" : "");
    int code = echo ? awaitStop() : pipeLoop(l);
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running
    }
    return code;
  }

  /** Serves one connection at a time with standard input and output, until stopped or offline. */
  private int pipeLoop(RelayListener l) {
    StdinSource in = new StdinSource(stdin);
    in.start();
    while (true) {
      RelayConnection c;
      try {
        c = l.accept();
      } catch (IOException e) {
        return stopCode(e);
      }
      int id = counter.incrementAndGet();
      open.add(c);
      if (stopping) {
        c.abort();
        return ExitCodes.OK;
      }
      log.info("Connection {} from {} (tracking id {})", id, peer(c), c.trackingId());
      StdioPipe.Result r = StdioPipe.run(c, in, stdout, () -> stopping,
          n -> log.info("Connection {}: the peer ended its side after sending {} bytes", id, n));
      open.remove(c);
      switch (r.outcome()) {
        case STOPPED:
          return ExitCodes.OK;
        case STDOUT_FAILED:
          return error(ExitCodes.FAILURE, r.problem());
        case FAILED:
          log.warn("Connection {} failed after receiving {} bytes and sending {} bytes: {}", id, r.received(),
              r.sent(), Redaction.text(r.problem()));
          break;
        default:
          log.info("Connection {} ended: received {} bytes, sent {} bytes", id, r.received(), r.sent());
          if (r.problem() != null) {
            log.warn(r.problem());
          }
      }
    }
  }

  /** --echo: runs on the connection's own thread. */
  private void echo(RelayConnection c) {
    int id = counter.incrementAndGet();
    open.add(c);
    if (stopping) {
      c.abort();
      open.remove(c);
      return;
    }
    log.info("Connection {} from {} (tracking id {})", id, peer(c), c.trackingId());
    AtomicLong n = new AtomicLong();
    try {
      InputStream in = c.getInputStream();
      OutputStream out = c.getOutputStream();
      byte[] buf = new byte[64 * 1024];
      for (int r; (r = in.read(buf)) >= 0; ) {
        out.write(buf, 0, r);
        n.addAndGet(r);
      }
      c.shutdownOutput();
      c.close();
      log.info("Connection {} ended: echoed {} bytes", id, n.get());
    } catch (IOException e) {
      if (!stopping) {
        log.warn("Connection {} failed after echoing {} bytes: {}", id, n.get(), Redaction.text(e.getMessage()));
      }
      c.abort();
    } finally {
      open.remove(c);
    }
  }

  private int awaitStop() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return stopCode(null);
  }

  /** The exit code once accept failed or the listener stopped: OK when stopped on purpose. */
  private int stopCode(IOException acceptFailure) {
    if (stopping) {
      return ExitCodes.OK;
    }
    Throwable cause = offline.get();
    if (cause == null && acceptFailure != null) {
      cause = acceptFailure instanceof SocketException && acceptFailure.getCause() != null
          ? acceptFailure.getCause() : acceptFailure;
    }
    if (cause == null) {
      return ExitCodes.OK;
    }
    return error(ExitCodes.of(cause), "the listener on hybrid connection '" + hcName + "' stopped: "
        + cause.getMessage());
  }

  /** Closes the listener and every open connection (Close 1000 after the data written so far). Idempotent. */
  void stop() {
    stopping = true;
    RelayListener l = listener;
    if (l != null) {
      try {
        l.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    for (RelayConnection c : open) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    stopped.countDown();
  }

  static String describeOpenFailure(String hc, IOException e) {
    switch (ExitCodes.of(e)) {
      case ExitCodes.UNAUTHORIZED:
        return "the relay refused the credentials for listening on hybrid connection '" + hc + "': " + e.getMessage()
            + " — check the rule name and key";
      case ExitCodes.FORBIDDEN:
        return "the relay refused listening on hybrid connection '" + hc + "': " + e.getMessage()
            + " — the rule needs the Listen right";
      case ExitCodes.NOT_FOUND:
        return "hybrid connection '" + hc + "': " + e.getMessage() + " — check the name";
      case ExitCodes.TIMEOUT:
        return "the relay did not register the listener on hybrid connection '" + hc + "' in time: " + e.getMessage();
      case ExitCodes.REFUSED:
        return "the relay refused listening on hybrid connection '" + hc + "': " + e.getMessage();
      default:
        return "cannot listen on hybrid connection '" + hc + "': " + e;
    }
  }

  private int error(int code, String message) {
    stderr.println("hybridrelay listen: " + Redaction.text(message));
    stderr.flush();
    return code;
  }

  private static void closeQuietly(RelayListener l) {
    try {
      l.close();
    } catch (IOException ignored) {
      // it never opened
    }
  }

  private static String peer(RelayConnection c) {
    java.net.InetSocketAddress a = c.remoteAddress();
    return a == null ? "an unknown address" : a.getHostString() + ":" + a.getPort();
  }
}
