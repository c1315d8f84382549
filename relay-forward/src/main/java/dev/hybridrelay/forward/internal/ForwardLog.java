package dev.hybridrelay.forward.internal;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.Locale;

/** Formatting helpers for log lines. */
public final class ForwardLog {
  private ForwardLog() {}

  /** {@code 127.0.0.1:5000}, {@code [::1]:5000} or {@code unix:/run/app.sock}. */
  public static String peer(SocketAddress address) {
    if (address instanceof UnixDomainSocketAddress) {
      return "unix:" + ((UnixDomainSocketAddress) address).getPath();
    }
    if (!(address instanceof InetSocketAddress)) {
      return String.valueOf(address);
    }
    InetSocketAddress a = (InetSocketAddress) address;
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    if (host.indexOf(':') >= 0) {
      host = "[" + host + "]";
    }
    return host + ":" + a.getPort();
  }

  /** {@code 812 B}, {@code 1.5 KiB}, {@code 64.0 MiB}. */
  public static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    if (n < 1024L * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
    }
    if (n < 1024L * 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    }
    return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
  }

  /** {@code 0.25 s}, {@code 12.0 s}, {@code 3m05s}. */
  public static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms < 60_000) {
      return String.format(Locale.ROOT, "%.2f s", ms / 1000.0);
    }
    long s = ms / 1000;
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, (s / 60) % 60, s % 60);
  }
}
