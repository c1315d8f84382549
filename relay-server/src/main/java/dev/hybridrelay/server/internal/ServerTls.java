package dev.hybridrelay.server.internal;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * The relay's TLS engine: the JDK's {@code SSLEngine} from the configured {@link SSLContext}, or, when
 * asked for ({@code openssl}), Netty's OpenSSL engine (BoringSSL from
 * {@code io.netty:netty-tcnative-boringssl-static}, which must be on the class path; the key material
 * must come from a keystore given to the builder). {@code auto} is the JDK's engine: Netty's OpenSSL
 * engine answers a peer's TLS {@code close_notify} by closing both directions, so a client that sends
 * its WebSocket Close and then half-closes TLS (as Jetty's does) would not receive the other side's
 * Close (HalfCloseProbeTest). TLS 1.3 and 1.2 only with either.
 *
 * <p>Thread-safe: {@link #newHandler} is called on the I/O threads for each accepted connection.
 */
public final class ServerTls {
  /** System property that chooses the engine when the builder did not: {@code auto}, {@code jdk}, {@code openssl}. */
  public static final String PROPERTY = "hybridrelay.tls.provider";
  private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private final SSLContext jdk;
  private final SslContext openSsl;

  private ServerTls(SSLContext jdk, SslContext openSsl) {
    this.jdk = jdk;
    this.openSsl = openSsl;
  }

  /**
   * @param jdk the JDK context (always present: it serves when the native engine does not)
   * @param keyManagers the key material behind {@code jdk}, or null when only the context is known
   * @param provider {@code auto}, {@code jdk} or {@code openssl}; null: the system property, else auto
   * @throws IllegalStateException if {@code openssl} is asked for and cannot be used
   */
  public static ServerTls create(SSLContext jdk, KeyManagerFactory keyManagers, String provider) {
    String p = provider != null ? provider : System.getProperty(PROPERTY, "auto");
    p = p.trim().toLowerCase(Locale.ROOT);
    switch (p) {
      case "jdk":
        return new ServerTls(jdk, null);
      case "auto":
      case "openssl":
        break;
      default:
        throw new IllegalArgumentException("Unknown TLS provider '" + p + "': use auto, jdk or openssl");
    }
    if (p.equals("auto")) {
      return new ServerTls(jdk, null);
    }
    boolean required = true;
    if (keyManagers == null) {
      if (required) {
        throw new IllegalStateException("The OpenSSL TLS engine needs the keystore (tls(Path, char[])), "
            + "not a ready SSLContext");
      }
      return new ServerTls(jdk, null);
    }
    if (!OpenSsl.isAvailable()) {
      if (required) {
        throw new IllegalStateException("The OpenSSL TLS engine is not available: put "
            + "io.netty:netty-tcnative-boringssl-static (for this platform) on the class path, or use the "
            + "jdk provider (" + OpenSsl.unavailabilityCause() + ")");
      }
      return new ServerTls(jdk, null);
    }
    try {
      SslContext ctx = SslContextBuilder.forServer(keyManagers).sslProvider(SslProvider.OPENSSL)
          .protocols(PROTOCOLS).build();
      return new ServerTls(jdk, ctx);
    } catch (SSLException | RuntimeException e) {
      if (required) {
        throw new IllegalStateException("The OpenSSL TLS engine could not use the keystore: " + e.getMessage(), e);
      }
      return new ServerTls(jdk, null);
    }
  }

  /** A new server-side TLS handler for one accepted connection. */
  public SslHandler newHandler(ByteBufAllocator alloc) {
    if (openSsl != null) {
      return openSsl.newHandler(alloc);
    }
    SSLEngine engine = jdk.createSSLEngine();
    engine.setUseClientMode(false);
    List<String> protocols = new ArrayList<>();
    for (String proto : engine.getSupportedProtocols()) {
      if (proto.equals("TLSv1.3") || proto.equals("TLSv1.2")) {
        protocols.add(proto);
      }
    }
    engine.setEnabledProtocols(protocols.toArray(new String[0]));
    return new SslHandler(engine);
  }

  /** For logs: {@code JDK (SunJSSE)} or {@code OpenSSL (BoringSSL ...)}. */
  public String engineName() {
    if (openSsl != null) {
      return "OpenSSL (" + OpenSsl.versionString() + ", netty-tcnative)";
    }
    return "JDK (" + jdk.getProvider().getName() + ")";
  }

  /** True when the native engine serves. */
  public boolean isNative() {
    return openSsl != null;
  }
}
