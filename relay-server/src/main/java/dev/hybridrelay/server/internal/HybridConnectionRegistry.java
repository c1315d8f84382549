package dev.hybridrelay.server.internal;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Registered hybrid connections, looked up case-insensitively (entity names in Azure Relay are
 * case-insensitive). Names may contain {@code /}; a sender path is split into name and suffix by
 * the longest registered name that is a whole-segment prefix of the path.
 */
final class HybridConnectionRegistry {
  private final ConcurrentMap<String, HybridConnection> byName = new ConcurrentHashMap<>();
  private final boolean autoCreate;

  HybridConnectionRegistry(List<HybridConnectionDefinition> definitions, boolean autoCreate) {
    this.autoCreate = autoCreate;
    for (HybridConnectionDefinition d : definitions) {
      byName.put(key(d.name()), new HybridConnection(d.name(), d.requiresClientAuthorization(), d.rules()));
    }
  }

  /** Path split result: {@code hc} is null when no registered name matches. */
  record Resolved(HybridConnection hc, String name, String suffix) {}

  private static String key(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  /** Open listener control channels over every hybrid connection. */
  int listenerCount() {
    int n = 0;
    for (HybridConnection hc : byName.values()) {
      n += hc.listenerCount();
    }
    return n;
  }

  HybridConnection exact(String name) {
    return byName.get(key(name));
  }

  /** Longest registered whole-segment prefix of {@code path} (no leading or trailing slash). */
  Resolved resolve(String path) {
    String candidate = path;
    while (true) {
      HybridConnection hc = byName.get(key(candidate));
      if (hc != null) {
        String suffix = candidate.length() == path.length() ? "" : path.substring(candidate.length() + 1);
        return new Resolved(hc, hc.name(), suffix);
      }
      int slash = candidate.lastIndexOf('/');
      if (slash <= 0) {
        return new Resolved(null, path, "");
      }
      candidate = candidate.substring(0, slash);
    }
  }

  boolean autoCreate() {
    return autoCreate;
  }

  /** Creates (or returns) an auto-created hybrid connection: no HC-level rules, auth required. */
  HybridConnection getOrCreate(String name) {
    return byName.computeIfAbsent(key(name), k -> new HybridConnection(name, true, List.of()));
  }

  HybridConnection find(String name) {
    return name == null ? null : byName.get(key(name));
  }

  Iterable<HybridConnection> all() {
    return byName.values();
  }
}
