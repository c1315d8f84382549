package dev.hybridrelay.forward.internal;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Writes PROXY protocol headers (HAProxy's specification, versions 1 and 2) and parses the strict
 * {@code ip:port} form in which a local forwarder passes its client's address to the remote one.
 */
public final class ProxyProtocolHeader {
  /** The version 2 signature. */
  static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  private static final Pattern IPV4 = Pattern.compile(
      "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

  private ProxyProtocolHeader() {}

  /**
   * The version 1 header: {@code PROXY TCP4|TCP6 src dst sport dport\r\n}; {@code PROXY UNKNOWN\r\n}
   * if either address is null. Mixed families are written as TCP6 with IPv4-mapped addresses.
   */
  public static byte[] v1(InetSocketAddress source, InetSocketAddress destination) {
    if (source == null || destination == null) {
      return "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);
    }
    InetAddress s = source.getAddress();
    InetAddress d = destination.getAddress();
    boolean v4 = s instanceof Inet4Address && d instanceof Inet4Address;
    String line = "PROXY " + (v4 ? "TCP4 " : "TCP6 ") + text(s, v4) + " " + text(d, v4) + " " + source.getPort()
        + " " + destination.getPort() + "\r\n";
    return line.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * The version 2 header: signature, {@code PROXY} command, TCP over IPv4 (12 address bytes) or
   * IPv6 (36); a {@code LOCAL} command with no address (the receiver then uses the connection's
   * own endpoints) if either address is null.
   */
  public static byte[] v2(InetSocketAddress source, InetSocketAddress destination) {
    if (source == null || destination == null) {
      ByteBuffer b = ByteBuffer.allocate(16);
      b.put(V2_SIGNATURE).put((byte) 0x20).put((byte) 0x00).putShort((short) 0);
      return b.array();
    }
    boolean v4 = source.getAddress() instanceof Inet4Address && destination.getAddress() instanceof Inet4Address;
    byte[] s = bytes(source.getAddress(), v4);
    byte[] d = bytes(destination.getAddress(), v4);
    int len = s.length + d.length + 4;
    ByteBuffer b = ByteBuffer.allocate(16 + len);
    b.put(V2_SIGNATURE).put((byte) 0x21).put((byte) (v4 ? 0x11 : 0x21)).putShort((short) len);
    b.put(s).put(d).putShort((short) source.getPort()).putShort((short) destination.getPort());
    return b.array();
  }

  private static String text(InetAddress a, boolean v4) {
    if (v4) {
      return a.getHostAddress();
    }
    String t = InetAddress.class.cast(v6(a)).getHostAddress();
    int scope = t.indexOf('%');
    return scope < 0 ? t : t.substring(0, scope);
  }

  private static byte[] bytes(InetAddress a, boolean v4) {
    return v4 ? a.getAddress() : v6(a).getAddress();
  }

  /** {@code a} as 16 bytes: IPv4 as an IPv4-mapped IPv6 address. */
  private static Inet6Address v6(InetAddress a) {
    if (a instanceof Inet6Address six) {
      return six;
    }
    byte[] four = a.getAddress();
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    System.arraycopy(four, 0, mapped, 12, 4);
    try {
      return Inet6Address.getByAddress(null, mapped, -1);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code ip:port}, IPv6 in brackets, without a scope. */
  public static String format(InetSocketAddress a) {
    InetAddress ip = a.getAddress();
    String t = ip.getHostAddress();
    int scope = t.indexOf('%');
    if (scope >= 0) {
      t = t.substring(0, scope);
    }
    return (ip instanceof Inet6Address ? "[" + t + "]" : t) + ":" + a.getPort();
  }

  /**
   * Parses {@code a.b.c.d:port} or {@code [ipv6]:port} strictly: an address literal (never a host
   * name, so no name lookup), port 1-65535, nothing else; {@code null} if the text is absent or
   * does not have that form.
   */
  public static InetSocketAddress parse(String text) {
    if (text == null || text.length() > 64) {
      return null;
    }
    String t = text.trim();
    int colon = t.lastIndexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      return null;
    }
    String host = t.substring(0, colon);
    String port = t.substring(colon + 1);
    if (!PORT.matcher(port).matches()) {
      return null;
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      return null;
    }
    try {
      if (host.startsWith("[") && host.endsWith("]")) {
        String six = host.substring(1, host.length() - 1);
        if (!IPV6.matcher(six).matches() || six.indexOf(':') < 0) {
          return null;
        }
        return new InetSocketAddress(InetAddress.getByName("[" + six + "]"), p);
      }
      if (!IPV4.matcher(host).matches()) {
        return null;
      }
      return new InetSocketAddress(InetAddress.getByName(host), p);
    } catch (UnknownHostException | IllegalArgumentException e) {
      return null;
    }
  }
}
