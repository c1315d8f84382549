package dev.hybridrelay.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for {@code localhost}, generated once per JVM with the JDK's keytool,
 * for a {@code wss} relay, and a client {@link SSLContext} that trusts only it.
 */
public final class LocalhostTls {
  /** Keystore and key password. */
  public static final char[] PASSWORD = "changeit".toCharArray();
  private static Path keystore;
  private static SSLContext trusting;

  private LocalhostTls() {
  }

  /** The PKCS#12 keystore (alias "relay") for the relay's TLS. */
  public static synchronized Path keystore() throws IOException, InterruptedException {
    if (keystore == null) {
      Path dir = Files.createTempDirectory("hybridrelay-it-tls");
      Path ks = dir.resolve("localhost.p12");
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
          "-genkeypair", "-alias", "relay", "-keyalg", "EC", "-groupname", "secp256r1",
          "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
          "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", new String(PASSWORD),
          "-keypass", new String(PASSWORD)).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("keytool failed: " + out);
      }
      ks.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      keystore = ks;
    }
    return keystore;
  }

  /** A client context that trusts the certificate of {@link #keystore()} only. */
  public static synchronized SSLContext trusting() throws Exception {
    if (trusting == null) {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(keystore())) {
        trust.load(in, PASSWORD);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      trusting = ctx;
    }
    return trusting;
  }
}
