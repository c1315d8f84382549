package dev.hybridrelay.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for {@code localhost} (and 127.0.0.1), generated once per JVM with
 * the JDK's keytool, plus a client SSLContext that trusts only it.
 */
public final class TestTls {
  public static final char[] PASSWORD = "changeit".toCharArray();
  private static Path keystore;
  private static SSLContext client;

  private TestTls() {}

  public static synchronized Path keystore() {
    if (keystore == null) {
      try {
        Path dir = Files.createTempDirectory("hybridrelay-tls");
        Path ks = dir.resolve("relay.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "relay", "-keyalg", "EC",
            "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext",
            "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", ks.toString(),
            "-storetype", "PKCS12", "-storepass", new String(PASSWORD), "-keypass",
            new String(PASSWORD)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IllegalStateException("keytool failed: " + out);
        }
        ks.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        keystore = ks;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return keystore;
  }

  /** Client context trusting the test certificate only. */
  public static synchronized SSLContext clientContext() {
    if (client == null) {
      try (InputStream in = Files.newInputStream(keystore())) {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(in, PASSWORD);
        Certificate cert = ks.getCertificate("relay");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("relay", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        client = ctx;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    return client;
  }
}
