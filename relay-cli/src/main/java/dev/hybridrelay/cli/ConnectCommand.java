package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.core.internal.Redaction;
import dev.hybridrelay.forward.internal.Preamble;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hybridrelay connect}: netcat over a relay. Opens one relay connection as a sender and pipes
 * standard input to it and it to standard output; the end of standard input half-closes the
 * connection, and the command exits once the peer has ended its side too.
 *
 * <pre>
 * hybridrelay connect -x "$CS" --hc echo &lt; request.bin &gt; reply.bin
 * hybridrelay connect -x "$CS" --hc myhc --port-name 22      # through a forward -T myhc:22
 * </pre>
 */
@Command(name = "connect", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Pipes standard input and output through one relay connection, like netcat.",
        "Raw by default: talks to any Hybrid Connections listener. --port-name speaks",
        "azbridge's preamble first, to reach a port behind forward -T (or azbridge -T).",
        "The end of standard input half-closes the connection; the peer may go on.",
        "Exits once the peer has ended its side and standard input ended (or the peer",
        "closed fully)."},
    footerHeading = "%nExit codes:%n",
    footer = ExitCodes.FOOTER)
public final class ConnectCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger("hybridrelay.connect");

  @Mixin
  StdioOptions common = new StdioOptions();

  @Mixin
  ProxyOptions proxyOptions = new ProxyOptions();

  @Option(names = "--port-name", paramLabel = "NAME",
      description = "Send azbridge's connect preamble for this port name (as the -L side does) and wait for the "
          + "forwarder's acceptance before piping.")
  String portName;

  @Option(names = "--timeout", paramLabel = "DURATION",
      description = "How long to wait for a listener to accept (and, with --port-name, for the forwarder's reply), "
          + "e.g. 10s, 500ms, PT1M (default: the connection string's OperationTimeout, else 70s).")
  String timeout;

  InputStream stdin = System.in;
  OutputStream stdout = new FileOutputStream(FileDescriptor.out);
  PrintStream stderr = System.err;

  @Override
  public Integer call() {
    common.configureLogging();
    RelayConnectionString cs;
    Duration wait;
    try {
      cs = common.resolve();
      wait = timeout == null ? null : positive(ServeCommand.duration("--timeout", timeout));
      if (portName != null) {
        try {
          Preamble.portNameBytes(portName);
        } catch (IllegalArgumentException e) {
          throw new StdioOptions.UsageException("--port-name: " + e.getMessage());
        }
      }
    } catch (StdioOptions.UsageException | IllegalArgumentException e) {
      return error(ExitCodes.USAGE, e.getMessage());
    }
    String hc = cs.entityPath();
    RelaySender.Builder b = RelaySender.builder(cs);
    try {
      b.proxy(proxyOptions.relayProxy()).tokenProvider(common.tokenProvider(cs));
    } catch (StdioOptions.UsageException | IllegalArgumentException e) {
      return error(ExitCodes.USAGE, e.getMessage());
    }
    if (wait != null) {
      b.connectTimeout(wait);
    }
    RelayConnection conn;
    try {
      conn = b.build().connect();
    } catch (IOException e) {
      return error(ExitCodes.of(e), describeConnectFailure(hc, e));
    }
    log.debug("Connected to hybrid connection '{}' (tracking id {})", hc, conn.trackingId());
    if (portName != null) {
      int code = preamble(conn, hc, wait == null ? Duration.ofSeconds(70) : wait);
      if (code != ExitCodes.OK) {
        return code;
      }
    }
    StdinSource in = new StdinSource(stdin);
    in.start();
    StdioPipe.Result r = StdioPipe.run(conn, in, stdout, () -> false,
        n -> log.debug("The peer ended its side after sending {} bytes", n));
    log.debug("Connection ended: received {} bytes, sent {} bytes", r.received(), r.sent());
    switch (r.outcome()) {
      case PEER_CLOSED:
        if (r.problem() != null) {
          log.warn(r.problem());
        }
        return ExitCodes.OK;
      default:
        return error(ExitCodes.FAILURE, r.problem() == null ? "connection lost" : r.problem());
    }
  }

  /** Sends the azbridge preamble and reads the forwarder's reply; OK or the exit code. */
  private int preamble(RelayConnection conn, String hc, Duration wait) {
    Preamble.ReplyKind reply;
    try {
      conn.setReadTimeout(wait);
      Preamble.writeRequest(conn.getOutputStream(), Preamble.MODE_STREAM, portName);
      reply = Preamble.readReply(conn.getInputStream(), Preamble.MODE_STREAM);
      conn.setReadTimeout(Duration.ZERO);
    } catch (SocketTimeoutException e) {
      conn.abort();
      return error(ExitCodes.TIMEOUT, "the listener on hybrid connection '" + hc + "' did not answer the preamble for "
          + "port name '" + portName + "' within " + wait.toMillis() + " ms — is it an azbridge-compatible forwarder?");
    } catch (IOException e) {
      conn.abort();
      return error(ExitCodes.REFUSED, "the forwarder on hybrid connection '" + hc + "' failed the connection for port "
          + "name '" + portName + "' before accepting it (it could not reach its target?): " + e.getMessage());
    }
    switch (reply) {
      case OK:
        return ExitCodes.OK;
      case CLOSED_WITHOUT_REPLY:
        closeQuietly(conn);
        return error(ExitCodes.REFUSED, "the forwarder on hybrid connection '" + hc + "' refused port name '"
            + portName + "' — check its -T rule (for example -T " + hc + ":" + portName + "/host:port)");
      case DATAGRAM_REQUIRED:
        conn.abort();
        return error(ExitCodes.REFUSED, "the forwarder on hybrid connection '" + hc + "' forwards port name '"
            + portName + "' to a UDP target (reply 0,0,1); connect is for streams");
      case UNSUPPORTED_VERSION:
        conn.abort();
        return error(ExitCodes.REFUSED, "the forwarder on hybrid connection '" + hc
            + "' does not support preamble version 1.0 (reply 0,0,0)");
      default:
        conn.abort();
        return error(ExitCodes.REFUSED, "the listener on hybrid connection '" + hc
            + "' sent an unexpected preamble reply; is it an azbridge-compatible forwarder?");
    }
  }

  static String describeConnectFailure(String hc, IOException e) {
    switch (ExitCodes.of(e)) {
      case ExitCodes.UNAUTHORIZED:
        return "the relay refused the credentials for hybrid connection '" + hc + "': " + e.getMessage()
            + " — check the rule name and key";
      case ExitCodes.FORBIDDEN:
        return "the relay refused sending to hybrid connection '" + hc + "': " + e.getMessage()
            + " — the rule needs the Send right";
      case ExitCodes.NOT_FOUND:
        return "hybrid connection '" + hc + "': " + e.getMessage()
            + " — check the name, and that a listener is running";
      case ExitCodes.TIMEOUT:
        return "no listener on hybrid connection '" + hc + "' accepted in time: " + e.getMessage();
      case ExitCodes.REFUSED:
        return "the connection to hybrid connection '" + hc + "' was refused: " + e.getMessage();
      default:
        return "cannot connect to hybrid connection '" + hc + "': " + e;
    }
  }

  private int error(int code, String message) {
    stderr.println("hybridrelay connect: " + Redaction.text(message));
    stderr.flush();
    return code;
  }

  static Duration positive(Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("--timeout: must be greater than zero, was " + d);
    }
    return d;
  }

  private static void closeQuietly(RelayConnection c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // refused anyway
    }
  }
}
