package dev.hybridrelay.forward;

import java.util.Locale;

/**
 * The PROXY protocol version a {@link RemoteForwarder} writes to a target before any data, so that
 * the service behind it sees the address of the client that connected to the {@link LocalForwarder}
 * (HAProxy's specification, as read by nginx {@code listen … proxy_protocol}, HAProxy
 * {@code accept-proxy}, Postgres-compatible poolers and others).
 *
 * <p>The address comes from the sender: a local forwarder puts its client's address and port in
 * the connect headers {@code Hybridrelay-Source} and {@code Hybridrelay-Destination}. A remote
 * forwarder trusts them only because they came through the relay, whose authorization every sender
 * passed; anyone with Send rights on the hybrid connection (or anyone at all, if it does not
 * require client authorization) can claim any address. A missing or malformed address gives the
 * "unknown" form ({@code PROXY UNKNOWN}, or a v2 {@code LOCAL} header), never a guess.
 */
public enum ProxyProtocol {
  /** Version 1, text: {@code PROXY TCP4|TCP6 src dst sport dport\r\n}, or {@code PROXY UNKNOWN\r\n}. */
  V1,
  /** Version 2, binary: the 12-byte signature, {@code PROXY} command, TCP over IPv4 or IPv6. */
  V2;

  /**
   * {@code v1}/{@code 1} or {@code v2}/{@code 2}, case-insensitive.
   *
   * @throws IllegalArgumentException for anything else, naming the accepted values
   */
  public static ProxyProtocol parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    switch (t) {
      case "v1":
      case "1":
        return V1;
      case "v2":
      case "2":
        return V2;
      default:
        throw new IllegalArgumentException("Unknown PROXY protocol version '" + text + "': use v1 or v2");
    }
  }

  @Override
  public String toString() {
    return this == V1 ? "v1" : "v2";
  }
}
