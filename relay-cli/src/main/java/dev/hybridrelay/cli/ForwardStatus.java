package dev.hybridrelay.cli;

import dev.hybridrelay.forward.ForwardEvents;
import dev.hybridrelay.forward.ForwardOutcome;
import dev.hybridrelay.forward.ForwardStats;
import dev.hybridrelay.forward.ForwardedConnection;
import dev.hybridrelay.forward.internal.ForwardLog;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status output of {@code hybridrelay forward}: one line per connection opened and closed, and a
 * periodic summary. Lines carry addresses, names, byte counts and durations, never a secret.
 *
 * <pre>
 * L-3 open   127.0.0.1:53422 -&gt; hc 'db' port 'postgres' (tracking id 4b1e…)
 * L-3 closed 127.0.0.1:53422 -&gt; hc 'db' port 'postgres': 1.2 KiB to relay, 5.6 KiB from relay, 1.20 s, clean
 * summary: 2 active, 120 forwarded, 3 refused, 1 failed; 12.3 MiB to relay, 45.6 MiB from relay
 * </pre>
 *
 * UDP flows have their own lines, see {@link UdpRules#describe}.
 */
final class ForwardStatus implements ForwardEvents {
  static final Logger LOG = LoggerFactory.getLogger("hybridrelay.forward");

  @Override
  public void onOpened(ForwardedConnection c) {
    if (!LOG.isInfoEnabled()) {
      return; // -q: nothing to format (this runs once per connection)
    }
    LOG.info("{} open   {} (tracking id {})", c.id(), UdpRules.isFlow(c) ? UdpRules.describe(c) : describe(c),
        c.trackingId());
  }

  @Override
  public void onClosed(ForwardedConnection c) {
    if (!LOG.isInfoEnabled()) {
      return;
    }
    if (UdpRules.isFlow(c)) {
      LOG.info(UdpRules.closedLine(c));
      return;
    }
    ForwardOutcome o = c.outcome().orElse(ForwardOutcome.CLOSED);
    String how = o == ForwardOutcome.CLOSED ? "clean" : "aborted: " + o.name().toLowerCase(java.util.Locale.ROOT)
        + c.failure().map(f -> " (" + f.getMessage() + ")").orElse("");
    LOG.info("{} closed {}: {} to relay, {} from relay, {}, {}", c.id(), describe(c),
        ForwardLog.bytes(c.bytesToRelay()), ForwardLog.bytes(c.bytesFromRelay()), ForwardLog.duration(c.duration()), how);
  }

  private static String describe(ForwardedConnection c) {
    if (c.id().startsWith("R")) {
      return "hc '" + c.hybridConnection() + "' port '" + c.portName() + "' -> " + ForwardLog.peer(c.peer());
    }
    return ForwardLog.peer(c.peer()) + " -> hc '" + c.hybridConnection() + "' port '" + c.portName() + "'";
  }

  /** One summary line over all forwarders. */
  static String summary(List<Supplier<ForwardStats>> forwarders) {
    int active = 0;
    long total = 0;
    long refused = 0;
    long failed = 0;
    long up = 0;
    long down = 0;
    for (Supplier<ForwardStats> f : forwarders) {
      ForwardStats s = f.get();
      active += s.activeConnections();
      total += s.totalConnections();
      refused += s.refusedConnections();
      failed += s.failedConnections();
      up += s.bytesToRelay();
      down += s.bytesFromRelay();
    }
    return "summary: " + active + " active, " + total + " forwarded, " + refused + " refused, " + failed + " failed; "
        + ForwardLog.bytes(up) + " to relay, " + ForwardLog.bytes(down) + " from relay";
  }
}
