package dev.hybridrelay.core.internal;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's default TLS context, used for wss when the application gave none: Conscrypt's
 * (BoringSSL, {@code org.conscrypt:conscrypt-openjdk-uber}) when it is on the class path and loads for
 * this platform, else the JDK's {@link SSLContext#getDefault()}. Either way the JDK's default trust
 * managers decide which certificates are trusted (so {@code javax.net.ssl.trustStore} applies), and the
 * caller keeps hostname verification on. An application's own {@code sslContext(...)} is always used as
 * given.
 *
 * <p>The system property {@value #PROPERTY} chooses: {@code auto} (default), {@code jdk}, or
 * {@code conscrypt} (fails with a clear error when Conscrypt cannot be used). Read once per process;
 * thread-safe.
 */
final class ClientTls {
  /** System property: {@code auto}, {@code jdk} or {@code conscrypt}. */
  static final String PROPERTY = "hybridrelay.tls.provider";
  private static final Logger log = LoggerFactory.getLogger(ClientTls.class);
  private static volatile SSLContext cached;

  private ClientTls() {}

  /** The default client context (see the class comment); created once. */
  static SSLContext defaultContext() throws IOException {
    SSLContext c = cached;
    if (c == null) {
      synchronized (ClientTls.class) {
        c = cached;
        if (c == null) {
          c = create(System.getProperty(PROPERTY, "auto"));
          log.debug("Default client TLS engine: {}", c.getProvider().getName());
          cached = c;
        }
      }
    }
    return c;
  }

  /** A new context for the given setting ({@code auto}, {@code jdk} or {@code conscrypt}). */
  static SSLContext create(String setting) throws IOException {
    String p = setting.trim().toLowerCase(Locale.ROOT);
    if (!p.equals("auto") && !p.equals("jdk") && !p.equals("conscrypt") && !p.equals("openssl")) {
      // "openssl" is the relay's name for its native engine; on the client it means Conscrypt
      throw new IOException("Unknown value '" + setting + "' of -D" + PROPERTY + ": use auto, jdk or conscrypt");
    }
    if (!p.equals("jdk")) {
      SSLContext native1 = conscrypt();
      if (native1 != null) {
        return native1;
      }
      if (p.equals("conscrypt")) {
        throw new IOException("-D" + PROPERTY + "=conscrypt, but Conscrypt is not available: put "
            + "org.conscrypt:conscrypt-openjdk-uber on the class path (it ships BoringSSL for Linux, macOS "
            + "and Windows on x86_64), or use jdk");
      }
    }
    try {
      return SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new IOException("No default TLS context", e);
    }
  }

  /** True when the context's engine is Conscrypt's. */
  static boolean isConscrypt(SSLContext ctx) {
    return ctx.getProvider().getName().startsWith("Conscrypt");
  }

  /** Conscrypt's context with the JDK's default trust managers, or null when Conscrypt is absent or fails to load. */
  static SSLContext conscrypt() {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init((KeyStore) null);
      return conscrypt(tmf);
    } catch (GeneralSecurityException e) {
      log.warn("No default trust managers ({}); using the JDK's TLS", e.toString());
      return null;
    }
  }

  /** Conscrypt's context with these trust managers, or null when Conscrypt is absent or fails to load. */
  static SSLContext conscrypt(TrustManagerFactory tmf) {
    Class<?> c;
    try {
      c = Class.forName("org.conscrypt.Conscrypt");
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
    try {
      if (!(Boolean) c.getMethod("isAvailable").invoke(null)) {
        log.debug("Conscrypt is on the class path but not available on this platform; using the JDK's TLS");
        return null;
      }
      Provider provider = (Provider) c.getMethod("newProvider").invoke(null);
      SSLContext ctx = SSLContext.getInstance("TLS", provider);
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (ReflectiveOperationException | GeneralSecurityException | LinkageError | RuntimeException e) {
      log.warn("Conscrypt could not be loaded ({}); using the JDK's TLS", e.toString());
      return null;
    }
  }
}
