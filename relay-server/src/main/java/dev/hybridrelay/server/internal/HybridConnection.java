package dev.hybridrelay.server.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One hybrid connection: its rules and the set of connected listener control channels. The
 * listener set is guarded by this object's monitor; no I/O happens while holding it.
 */
final class HybridConnection {
  private final String name;
  private final boolean requiresClientAuthorization;
  private final List<AuthRule> rules;
  private final List<ControlChannelHandler> listeners = new ArrayList<>();
  /** The port names each listener announced; listeners that announced none are absent. */
  private final java.util.Map<ControlChannelHandler, PortNames> portNames = new java.util.IdentityHashMap<>();

  /**
   * The port names a listener announced on its listen address ({@code hybridrelay-port}, repeated)
   * and whether it also serves any numeric name ({@code hybridrelay-any-numeric-port}: the
   * lone-target rule of port forwarders).
   */
  record PortNames(java.util.Set<String> names, boolean anyNumeric) {
    static final String PORT_PARAM = "hybridrelay-port";
    static final String ANY_NUMERIC_PARAM = "hybridrelay-any-numeric-port";

    /** What a listen query announces, or {@code null} if it announces nothing. */
    static PortNames of(Query query) {
      java.util.Set<String> names = new java.util.LinkedHashSet<>(query.all(PORT_PARAM));
      names.remove("");
      boolean any = "true".equalsIgnoreCase(query.first(ANY_NUMERIC_PARAM));
      return names.isEmpty() && !any ? null : new PortNames(java.util.Set.copyOf(names), any);
    }

    boolean serves(String portName) {
      return names.contains(portName) || anyNumeric && isNumeric(portName);
    }

    /** Numeric as the forwarders' lone-target rule: 1-10 ASCII digits, at most 2^31-1. */
    static boolean isNumeric(String portName) {
      return portName.matches("[0-9]{1,10}") && Long.parseLong(portName) <= Integer.MAX_VALUE;
    }
  }

  HybridConnection(String name, boolean requiresClientAuthorization, List<AuthRule> rules) {
    this.name = name;
    this.requiresClientAuthorization = requiresClientAuthorization;
    this.rules = List.copyOf(rules);
  }

  String name() {
    return name;
  }

  boolean requiresClientAuthorization() {
    return requiresClientAuthorization;
  }

  List<AuthRule> rules() {
    return rules;
  }

  /** Adds a listener unless {@code max} listeners are already connected. */
  synchronized boolean tryAddListener(ControlChannelHandler listener, int max) {
    return tryAddListener(listener, max, null);
  }

  /** Adds a listener that announced {@code ports} (null: none) unless {@code max} are connected. */
  synchronized boolean tryAddListener(ControlChannelHandler listener, int max, PortNames ports) {
    if (listeners.size() >= max) {
      return false;
    }
    listeners.add(listener);
    if (ports != null) {
      portNames.put(listener, ports);
    }
    return true;
  }

  synchronized void removeListener(ControlChannelHandler listener) {
    listeners.remove(listener);
    portNames.remove(listener);
  }

  /** Listeners whose control channel is open, i.e. that senders can be routed to right now. */
  synchronized int listenerCount() {
    int n = 0;
    for (ControlChannelHandler l : listeners) {
      if (l.isOpen()) {
        n++;
      }
    }
    return n;
  }

  synchronized List<ControlChannelHandler> listeners() {
    return new ArrayList<>(listeners);
  }

  /** A listener chosen uniformly at random among the open ones, or {@code null}. */
  ControlChannelHandler pickListener() {
    return pickListener(java.util.Set.of());
  }

  /**
   * A listener chosen uniformly at random among the open ones that are not in {@code exclude}
   * (listeners an offer could not be written to), or {@code null}.
   */
  synchronized ControlChannelHandler pickListener(java.util.Set<ControlChannelHandler> exclude) {
    List<ControlChannelHandler> open = new ArrayList<>(listeners.size());
    for (ControlChannelHandler l : listeners) {
      if (l.isOpen() && !exclude.contains(l)) {
        open.add(l);
      }
    }
    return open.isEmpty() ? null : open.get(ThreadLocalRandom.current().nextInt(open.size()));
  }

  /**
   * A listener for a sender that asked for {@code portName}, at random among the open ones not in
   * {@code exclude}: first those that announced the name, then (for a numeric name) those that
   * announced any numeric name, then those that announced nothing (azbridge listeners);
   * {@code null} if none qualifies. With a {@code null} port name, {@link #pickListener(java.util.Set)}.
   */
  synchronized ControlChannelHandler pickListener(String portName, java.util.Set<ControlChannelHandler> exclude) {
    if (portName == null) {
      return pickListener(exclude);
    }
    List<ControlChannelHandler> exact = new ArrayList<>();
    List<ControlChannelHandler> numeric = new ArrayList<>();
    List<ControlChannelHandler> silent = new ArrayList<>();
    for (ControlChannelHandler l : listeners) {
      if (!l.isOpen() || exclude.contains(l)) {
        continue;
      }
      PortNames p = portNames.get(l);
      if (p == null) {
        silent.add(l);
      } else if (p.names().contains(portName)) {
        exact.add(l);
      } else if (p.serves(portName)) {
        numeric.add(l);
      }
    }
    List<ControlChannelHandler> from = !exact.isEmpty() ? exact : !numeric.isEmpty() ? numeric : silent;
    return from.isEmpty() ? null : from.get(ThreadLocalRandom.current().nextInt(from.size()));
  }
}
