package dev.hybridrelay.server.internal;

import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * How the relay is seen from outside when it runs behind a reverse proxy (nginx, HAProxy): the
 * public scheme and port written into connection strings and {@code accept} addresses, and the
 * proxies whose {@code X-Forwarded-For} header is believed for a sender's address.
 *
 * @param tls the public scheme: true wss, false ws, null the relay's own (TLS or not)
 * @param port the public port, or 0 for the bound port
 * @param trustedProxies CIDR ranges ({@code 10.0.0.0/8}, {@code 127.0.0.1/32}, {@code ::1/128}) of
 *     the proxies in front of the relay
 * @param proxyProtocol whether connections from trusted proxies start with a PROXY protocol v1 header
 */
public record Frontend(Boolean tls, int port, List<String> trustedProxies, boolean proxyProtocol) {
  /** No reverse proxy. */
  public static final Frontend NONE = new Frontend(null, 0, List.of(), false);

  public Frontend {
    trustedProxies = List.copyOf(trustedProxies);
    for (String c : trustedProxies) {
      parse(c);
    }
  }

  /**
   * The sender's address: the TCP peer (or the source of its PROXY header), or, when that is a
   * trusted proxy, the right-most
   * {@code X-Forwarded-For} entry that is not itself a trusted proxy (port 0: the header has
   * none). Malformed entries stop the walk at the last trusted hop.
   */
  public InetSocketAddress clientAddress(io.netty.channel.Channel channel, HttpHeaders headers) {
    InetSocketAddress proxied = channel.attr(ProxyProtocolHandler.SOURCE).get();
    return clientAddress(proxied != null ? proxied : (InetSocketAddress) channel.remoteAddress(), headers);
  }

  /** As {@link #clientAddress(io.netty.channel.Channel, HttpHeaders)} for a known peer. */
  public InetSocketAddress clientAddress(InetSocketAddress peer, HttpHeaders headers) {
    if (trustedProxies.isEmpty() || peer == null || !trusted(peer.getAddress())) {
      return peer;
    }
    List<String> hops = new ArrayList<>();
    for (String h : headers.getAll("X-Forwarded-For")) {
      for (String part : h.split(",")) {
        if (!part.isBlank()) {
          hops.add(part.trim());
        }
      }
    }
    InetSocketAddress result = peer;
    for (int i = hops.size() - 1; i >= 0; i--) {
      InetAddress a = literal(hops.get(i));
      if (a == null) {
        break;
      }
      result = new InetSocketAddress(a, 0);
      if (!trusted(a)) {
        break;
      }
    }
    return result;
  }

  boolean trusted(InetAddress a) {
    byte[] ip = a.getAddress();
    for (String c : trustedProxies) {
      Object[] net = parse(c);
      byte[] n = (byte[]) net[0];
      int prefix = (Integer) net[1];
      if (n.length == ip.length && inRange(ip, n, prefix)) {
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

  /** [address bytes, prefix]; throws IllegalArgumentException for a malformed range. */
  static Object[] parse(String cidr) {
    String s = cidr.trim();
    int slash = s.indexOf('/');
    InetAddress a = literal(slash < 0 ? s : s.substring(0, slash));
    int bits = a == null ? 0 : a.getAddress().length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
    }
    if (a == null || prefix < 0 || prefix > bits) {
      throw new IllegalArgumentException("Malformed trusted proxy range '" + cidr
          + "'; expected an IP address or CIDR range such as 127.0.0.1/32, 10.0.0.0/8 or ::1/128");
    }
    return new Object[] {a.getAddress(), prefix};
  }

  /** An IP literal (IPv6 with or without brackets), never a DNS lookup; else null. */
  static InetAddress literal(String s) {
    String h = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    if (h.isEmpty() || !h.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
      return null;
    }
    if (h.indexOf(':') < 0 && !h.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      return null;
    }
    try {
      return InetAddress.getByName(h);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
