package dev.hybridrelay.server.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed query string that keeps each pair's raw text, so that application parameters reach
 * the listener byte for byte while every {@code sb-hc-*} pair is removed.
 */
final class Query {
  private record Pair(String raw, String name, String value) {}

  private final List<Pair> pairs;

  private Query(List<Pair> pairs) {
    this.pairs = pairs;
  }

  /** Parses {@code raw} (may be null); names and values are form-decoded ({@code +} = space). */
  static Query parse(String raw) {
    return parse(raw, false);
  }

  /**
   * As {@link #parse(String)}; with {@code lenient}, a pair whose escapes do not decode (for example
   * {@code %b8}, not UTF-8) keeps its raw text as name and value instead of failing (HTTP request
   * mode passes application queries through unchanged).
   */
  static Query parse(String raw, boolean lenient) {
    List<Pair> pairs = new ArrayList<>();
    if (raw != null && !raw.isEmpty()) {
      for (String part : raw.split("&", -1)) {
        if (part.isEmpty()) {
          pairs.add(new Pair(part, "", null));
          continue;
        }
        int eq = part.indexOf('=');
        String rawName = eq < 0 ? part : part.substring(0, eq);
        String rawValue = eq < 0 ? null : part.substring(eq + 1);
        String name;
        String value;
        try {
          name = PercentCodec.decode(rawName, true);
          value = rawValue == null ? null : PercentCodec.decode(rawValue, true);
        } catch (IllegalArgumentException e) {
          if (!lenient) {
            throw e;
          }
          name = rawName;
          value = rawValue;
        }
        pairs.add(new Pair(part, name, value));
      }
    }
    return new Query(pairs);
  }

  /** First value of {@code name}, or null. */
  String first(String name) {
    for (Pair p : pairs) {
      if (p.name.equals(name)) {
        return p.value == null ? "" : p.value;
      }
    }
    return null;
  }

  /** Every value of {@code name}, in order ({@code ""} for a bare key). */
  List<String> all(String name) {
    List<String> out = new ArrayList<>();
    for (Pair p : pairs) {
      if (p.name.equals(name)) {
        out.add(p.value == null ? "" : p.value);
      }
    }
    return out;
  }

  /** Raw application pairs (all but {@code sb-hc-*}) joined by {@code &}, plus a trailing {@code &}. */
  String appQueryPrefix() {
    StringBuilder sb = new StringBuilder();
    for (Pair p : pairs) {
      if (p.name.isEmpty() || p.name.toLowerCase(Locale.ROOT).startsWith("sb-hc-")) {
        continue;
      }
      sb.append(p.raw).append('&');
    }
    return sb.toString();
  }

  /**
   * The query an HTTP request-mode listener sees: every raw pair except {@code sb-hc-*=value} pairs
   * (a bare {@code sb-hc-…} key without {@code =} survives, empty pairs too, as the service does);
   * empty if nothing is left.
   */
  String httpQuery() {
    StringBuilder sb = new StringBuilder();
    boolean first = true;
    for (Pair p : pairs) {
      if (p.value != null && p.name.toLowerCase(Locale.ROOT).startsWith("sb-hc-")) {
        continue;
      }
      if (!first) {
        sb.append('&');
      }
      first = false;
      sb.append(p.raw);
    }
    return sb.toString();
  }
}
