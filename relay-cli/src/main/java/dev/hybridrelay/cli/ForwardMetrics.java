package dev.hybridrelay.cli;

import dev.hybridrelay.cli.ForwardRun.Running;
import dev.hybridrelay.forward.HttpForwarder;
import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;
import dev.hybridrelay.forward.UdpLocalForwarder;
import dev.hybridrelay.micrometer.ForwarderMeters;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** The meters and the readiness of {@code forward --metrics-port}. */
final class ForwardMetrics {
  private ForwardMetrics() {}

  /** Registers the counters of every running forwarder, summed by kind. */
  static void register(MeterRegistry registry, Running running) {
    ForwarderMeters meters = ForwarderMeters.bind(registry);
    running.locals.forEach(l -> meters.add(ForwarderMeters.Kind.LOCAL, l::stats));
    running.udpLocals.forEach(l -> meters.add(ForwarderMeters.Kind.UDP_LOCAL, l::stats));
    running.remotes.forEach(r -> meters.add(ForwarderMeters.Kind.REMOTE, r::stats));
    running.https.forEach(r -> meters.add(ForwarderMeters.Kind.HTTP, r::stats));
  }

  /**
   * What {@code /readyz} reports: every listener ({@code -T}, {@code -H}) online and every local
   * forward ({@code -L}) bound; empty when ready, else one reason per forwarder that is not.
   */
  static List<String> notReadyReasons(Running running, boolean closed) {
    List<String> reasons = new ArrayList<>();
    if (closed) {
      reasons.add("stopping");
    }
    for (RemoteForwarder r : running.remotes) {
      if (!r.isOnline()) {
        reasons.add("listener for hybrid connection '" + r.hybridConnection() + "' is not online");
      }
    }
    for (HttpForwarder h : running.https) {
      if (!h.isOnline()) {
        reasons.add("HTTP listener for hybrid connection '" + h.hybridConnection() + "' is not online");
      }
    }
    for (LocalForwarder l : running.locals) {
      if (l.unixSocket() != null ? !Files.exists(l.unixSocket()) : l.localAddress() == null) {
        reasons.add("local forward to hybrid connection '" + l.hybridConnection() + "' is not bound");
      }
    }
    for (UdpLocalForwarder l : running.udpLocals) {
      if (l.localAddress() == null) {
        reasons.add("UDP local forward to hybrid connection '" + l.hybridConnection() + "' is not bound");
      }
    }
    return reasons;
  }
}
