package dev.hybridrelay.core.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The hosts that bypass a proxy, from a {@code NO_PROXY}-style list (comma- or space-separated):
 * {@code *}; a domain with or without a leading dot ({@code example.com}, {@code .example.com}, also
 * {@code *.example.com}: the domain and its subdomains); a host name; an IP address; a CIDR range
 * matched against IP-literal hosts. Each entry may end in {@code :port} to match only that port.
 * Matching ignores case and never resolves names. Immutable and thread-safe.
 */
public final class NoProxyMatcher {
  /** Matches nothing. */
  public static final NoProxyMatcher NONE = new NoProxyMatcher(List.of(), false);

  private record Entry(String domain, byte[] network, int prefix, int port) {}

  private final List<Entry> entries;
  private final boolean all;

  private NoProxyMatcher(List<Entry> entries, boolean all) {
    this.entries = entries;
    this.all = all;
  }

  /**
   * Parses a list; null or blank gives {@link #NONE}.
   *
   * @throws IllegalArgumentException for a malformed CIDR range or port, naming the entry
   */
  public static NoProxyMatcher parse(String list) {
    if (list == null || list.isBlank()) {
      return NONE;
    }
    List<Entry> entries = new ArrayList<>();
    boolean all = false;
    for (String raw : list.split("[,\\s]+")) {
      String e = raw.trim().toLowerCase(Locale.ROOT);
      if (e.isEmpty()) {
        continue;
      }
      if (e.equals("*")) {
        all = true;
        continue;
      }
      int port = -1;
      if (e.startsWith("[")) {
        int close = e.indexOf(']');
        if (close < 0) {
          throw new IllegalArgumentException("Malformed no-proxy entry '" + raw + "'");
        }
        String inner = e.substring(1, close);
        String rest = e.substring(close + 1);
        if (rest.startsWith(":")) {
          port = port(raw, rest.substring(1));
          e = inner;
        } else if (rest.startsWith("/") || rest.isEmpty()) {
          e = inner + rest;
        } else {
          throw new IllegalArgumentException("Malformed no-proxy entry '" + raw + "'");
        }
      } else if (e.indexOf(':') == e.lastIndexOf(':') && e.indexOf(':') > 0) {
        port = port(raw, e.substring(e.indexOf(':') + 1));
        e = e.substring(0, e.indexOf(':'));
      }
      int slash = e.indexOf('/');
      if (slash >= 0) {
        byte[] net = literal(e.substring(0, slash));
        int prefix;
        try {
          prefix = Integer.parseInt(e.substring(slash + 1));
        } catch (NumberFormatException ex) {
          prefix = -1;
        }
        if (net == null || prefix < 0 || prefix > net.length * 8) {
          throw new IllegalArgumentException("Malformed CIDR range '" + raw
              + "' in the no-proxy list; expected e.g. 10.0.0.0/8 or fd00::/8");
        }
        entries.add(new Entry(null, net, prefix, port));
        continue;
      }
      byte[] ip = literal(e);
      if (ip != null) {
        entries.add(new Entry(null, ip, ip.length * 8, port));
        continue;
      }
      if (e.startsWith("*.")) {
        e = e.substring(2);
      } else if (e.startsWith(".")) {
        e = e.substring(1);
      }
      if (!e.isEmpty()) {
        entries.add(new Entry(e, null, 0, port));
      }
    }
    return new NoProxyMatcher(List.copyOf(entries), all);
  }

  private static int port(String raw, String s) {
    try {
      int p = Integer.parseInt(s);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException ignored) {
      // below
    }
    throw new IllegalArgumentException("Malformed port in no-proxy entry '" + raw + "'");
  }

  /** True if a connection to {@code host:port} goes direct. */
  public boolean matches(String host, int port) {
    if (all) {
      return true;
    }
    if (entries.isEmpty() || host == null) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    byte[] ip = literal(h);
    for (Entry e : entries) {
      if (e.port >= 0 && e.port != port) {
        continue;
      }
      if (e.domain != null) {
        if (ip == null && (h.equals(e.domain) || h.endsWith("." + e.domain))) {
          return true;
        }
      } else if (ip != null && ip.length == e.network.length && inRange(ip, e.network, e.prefix)) {
        return true;
      }
    }
    return false;
  }

  private static boolean inRange(byte[] ip, byte[] net, int prefix) {
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (ip[i] != net[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (ip[full] & mask) == (net[full] & mask);
  }

  /** The address bytes of an IPv4 or IPv6 literal, else null (never a DNS lookup). */
  static byte[] literal(String s) {
    if (s.isEmpty()) {
      return null;
    }
    boolean v4 = s.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
    if (v4) {
      String[] parts = s.split("\\.", -1);
      if (parts.length != 4) {
        return null;
      }
      byte[] b = new byte[4];
      for (int i = 0; i < 4; i++) {
        if (parts[i].isEmpty() || parts[i].length() > 3) {
          return null;
        }
        int v = Integer.parseInt(parts[i]);
        if (v > 255) {
          return null;
        }
        b[i] = (byte) v;
      }
      return b;
    }
    if (s.indexOf(':') < 0 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
      return null;
    }
    try {
      return InetAddress.getByName(s).getAddress(); // a literal: parsed, not resolved
    } catch (UnknownHostException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return all ? "*" : entries.size() + " no-proxy entries";
  }
}
