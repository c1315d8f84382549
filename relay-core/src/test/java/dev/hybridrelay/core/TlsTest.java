package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.server.LocalRelayServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** wss against the local relay with a throw-away certificate for "localhost" only. */
@Timeout(60)
class TlsTest {
  static final String KEY = "dGxzLXRlc3Qta2V5LWZvci10aGUtbG9jYWwtcmVsYXkx";
  static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir
  static Path dir;
  static LocalRelayServer relay;
  static SSLContext trusting;

  @BeforeAll
  static void start() throws Exception {
    Path keystore = dir.resolve("relay.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "relay", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
        .redirectErrorStream(true).start();
    keytool.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
    assertThat(keytool.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).isZero();
    relay = LocalRelayServer.builder().autoCreate(true).rule("root", KEY).tls(keystore, PASSWORD)
        .advertisedHost("localhost").build().start();
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      trust.load(in, PASSWORD);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    trusting = SSLContext.getInstance("TLS");
    trusting.init(null, tmf.getTrustManagers(), null);
  }

  @AfterAll
  static void stop() {
    if (relay != null) {
      relay.shutdown(Duration.ZERO);
    }
  }

  private static String cs(String host, String entity) {
    return "Endpoint=sb://" + host + ":" + relay.port() + "/;SharedAccessKeyName=root;SharedAccessKey=" + KEY
        + ";EntityPath=" + entity;
  }

  @Test
  void wssEndToEndWithATrustedCertificate() throws Exception {
    assertThat(relay.isTls()).isTrue();
    try (RelayListener listener = RelayListener.builder(cs("localhost", "secure")).sslContext(trusting).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs("localhost", "secure")).sslContext(trusting).build();
      try (RelayConnection s = sender.connect(); RelayConnection l = listener.accept(Duration.ofSeconds(5))) {
        s.getOutputStream().write(new byte[] {1, 2, 3});
        s.shutdownOutput();
        assertThat(l.getInputStream().readAllBytes()).containsExactly(1, 2, 3);
      }
    }
  }

  @Test
  void hostnameIsVerified() {
    // trusted certificate, but issued for "localhost" and reached as 127.0.0.1
    RelaySender sender = RelaySender.builder(cs("127.0.0.1", "secure")).sslContext(trusting).build();
    assertThatThrownBy(sender::connect).isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void untrustedCertificateIsRefusedWithTheDefaultContext() throws Exception {
    try (RelayListener listener = RelayListener.builder(cs("localhost", "secure")).build()) {
      assertThatThrownBy(listener::open).isInstanceOf(SSLHandshakeException.class);
    }
  }
}
