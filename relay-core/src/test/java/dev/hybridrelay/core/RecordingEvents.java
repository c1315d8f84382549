package dev.hybridrelay.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records listener events as strings ("connecting", "online", "offline"), with their causes and threads. */
final class RecordingEvents implements RelayListenerEvents {
  final List<String> events = new CopyOnWriteArrayList<>();
  final List<Throwable> causes = new CopyOnWriteArrayList<>();
  final List<String> threads = new CopyOnWriteArrayList<>();

  @Override
  public void onConnecting(Throwable cause) {
    record("connecting", cause);
  }

  @Override
  public void onOnline() {
    record("online", null);
  }

  @Override
  public void onOffline(Throwable cause) {
    record("offline", cause);
  }

  private void record(String event, Throwable cause) {
    threads.add(Thread.currentThread().getName());
    causes.add(cause);
    events.add(event);
  }

  List<String> snapshot() {
    return new ArrayList<>(events);
  }
}
