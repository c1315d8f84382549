package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.forward.ForwardEvents;
import dev.hybridrelay.forward.ForwardOptions;
import dev.hybridrelay.forward.ForwardOutcome;
import dev.hybridrelay.forward.ForwardedConnection;
import dev.hybridrelay.forward.ForwardedFlow;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.forward.UdpLocalForwarder;
import dev.hybridrelay.forward.UdpTarget;
import dev.hybridrelay.forward.internal.ForwardLog;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * UDP MAPPING — the one place where UDP forwarding rules from the command line ({@code -L 5000U:hc},
 * {@code -T hc:5000U}) and from configuration files (azbridge's negative {@code BindPort} /
 * {@code HostPort}, which mean UDP) are turned into forwarders, and where their flows are described
 * in the status output. The parsers recognise UDP syntax and hand it here with everything already
 * checked (addresses, port 1-65535, port name, hybrid connection).
 *
 * <p>A UDP local rule becomes a {@link UdpLocalForwarder}; UDP remote rules become
 * {@link RemoteForwarder.Builder#udpTarget UDP targets} of the hybrid connection's remote forwarder,
 * beside its TCP targets. The default port name of UDP port N is {@code "NU"}, as azbridge.
 */
final class UdpRules {
  private UdpRules() {}

  /**
   * A UDP local forward: listen on UDP {@code bindAddress:port}, forward to {@code hybridConnection}.
   * azbridge's default port name for UDP port N is {@code "NU"}.
   */
  static ForwardPlan.LocalRule local(String origin, String bindAddress, int port, String portName,
      String hybridConnection) throws ForwardConfigException {
    return ForwardPlan.LocalRule.udp(bindAddress, port, portName, hybridConnection, origin);
  }

  /** A UDP remote forward: datagrams for {@code portName} go to UDP {@code host:port}. */
  static ForwardPlan.RemoteRule remote(String origin, String hybridConnection, String portName, String host,
      int port) throws ForwardConfigException {
    return ForwardPlan.RemoteRule.udp(hybridConnection, portName, host, port, origin);
  }

  /** azbridge's default port name for UDP port {@code port}. */
  static String defaultPortName(int port) {
    return UdpTarget.defaultPortName(port);
  }

  /** Adds the UDP rules of {@code rules} to {@code b} as UDP targets and removes them from the list. */
  static void addTargets(RemoteForwarder.Builder b, List<ForwardPlan.RemoteRule> rules) {
    for (Iterator<ForwardPlan.RemoteRule> it = rules.iterator(); it.hasNext(); ) {
      ForwardPlan.RemoteRule r = it.next();
      if (r.udp()) {
        b.udpTarget(r.effectivePortName(), r.host(), r.port());
        it.remove();
      }
    }
  }

  /** Starts the UDP local forwarder of a UDP rule. */
  static UdpLocalForwarder start(RelayConnectionString cs, ForwardPlan.LocalRule r, InetAddress bind,
      ForwardOptions options, ForwardEvents status, dev.hybridrelay.core.RelayProxy proxy,
      dev.hybridrelay.core.RelayMetrics metrics, dev.hybridrelay.core.TokenProvider tokenProvider)
      throws ForwardRun.StartException {
    UdpLocalForwarder lf = UdpLocalForwarder.builder(cs).hybridConnection(r.hybridConnection()).bindAddress(bind)
        .port(r.port()).portName(r.effectivePortName()).options(options).events(status)
        .senderCustomizer(sb -> sb.proxy(proxy).metrics(metrics).tokenProvider(tokenProvider)).build();
    try {
      lf.start();
    } catch (BindException ex) {
      throw new ForwardRun.StartException(ForwardCommand.EXIT_FAILURE, r.origin() + ": cannot receive on UDP "
          + bind.getHostAddress() + ":" + r.port() + ": " + ex.getMessage(), ex);
    } catch (IOException ex) {
      throw new ForwardRun.StartException(ForwardCommand.EXIT_FAILURE, r.origin() + ": cannot receive on UDP: "
          + ex, ex);
    }
    return lf;
  }

  /** Whether a forwarded connection is a UDP flow. */
  static boolean isFlow(ForwardedConnection c) {
    return c instanceof ForwardedFlow;
  }

  /**
   * A flow's peers for the status lines: {@code udp 127.0.0.1:41234 -> hc 'dns' port '5353U'} (local
   * side) or {@code hc 'dns' port '5353U' -> udp 10.0.0.2:5353} (remote side).
   */
  static String describe(ForwardedConnection c) {
    String peer = "udp " + ForwardLog.peer(c.tcpPeer());
    String hc = "hc '" + c.hybridConnection() + "' port '" + c.portName() + "'";
    return c.id().startsWith("R") ? hc + " -> " + peer : peer + " -> " + hc;
  }

  /**
   * The line for a flow that ended:
   * {@code U-7 closed udp 127.0.0.1:41234 -> hc 'dns' port '5353U': 12 datagrams (1.1 KiB) to relay,
   * 12 (3.0 KiB) from relay, 0 dropped, 4m02s, idle_timeout}.
   */
  static String closedLine(ForwardedConnection c) {
    ForwardedFlow f = (ForwardedFlow) c;
    ForwardOutcome o = c.outcome().orElse(ForwardOutcome.CLOSED);
    String end = o.name().toLowerCase(Locale.ROOT);
    if (o != ForwardOutcome.CLOSED && o != ForwardOutcome.IDLE_TIMEOUT && o != ForwardOutcome.FORWARDER_CLOSED) {
      end = "aborted: " + end + c.failure().map(x -> " (" + x.getMessage() + ")").orElse("");
    }
    return c.id() + " closed " + describe(c) + ": " + f.datagramsToRelay() + " datagrams ("
        + ForwardLog.bytes(f.bytesToRelay()) + ") to relay, " + f.datagramsFromRelay() + " ("
        + ForwardLog.bytes(f.bytesFromRelay()) + ") from relay, " + f.datagramsDropped() + " dropped, "
        + ForwardLog.duration(c.duration()) + ", " + end;
  }
}
