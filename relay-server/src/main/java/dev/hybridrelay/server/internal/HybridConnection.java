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
    if (listeners.size() >= max) {
      return false;
    }
    listeners.add(listener);
    return true;
  }

  synchronized void removeListener(ControlChannelHandler listener) {
    listeners.remove(listener);
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
}
