package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayListenerEvents;
import dev.hybridrelay.core.RelayMetrics;

/**
 * Turns one listener's state events into {@link RelayMetrics} calls: online/offline only on real
 * transitions (so that a gauge built on them stays balanced), a reconnect for every attempt after
 * the first. Events arrive in order on the listener's single event thread, so no synchronization.
 */
public final class ListenerMetricsEvents implements RelayListenerEvents {
  private final RelayMetrics metrics;
  private boolean online;

  public ListenerMetricsEvents(RelayMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void onConnecting(Throwable cause) {
    goneOffline();
    if (cause != null) {
      metrics.controlChannelReconnect();
    }
  }

  @Override
  public void onOnline() {
    if (!online) {
      online = true;
      metrics.listenerOnline();
    }
  }

  @Override
  public void onOffline(Throwable cause) {
    goneOffline();
  }

  private void goneOffline() {
    if (online) {
      online = false;
      metrics.listenerOffline();
    }
  }
}
