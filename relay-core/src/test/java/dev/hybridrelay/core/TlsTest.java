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

  /**
   * Writes of mixed sizes (1 byte to several TLS records) both ways at once, with a reader that
   * pauses now and then so that the socket fills: records split across reads, several records per
   * read and per write, and backpressure, all byte-exact.
   */
  @Test
  void mixedWriteSizesBothWaysAreByteExact() throws Exception {
    try (RelayListener listener = RelayListener.builder(cs("localhost", "mixed")).sslContext(trusting).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs("localhost", "mixed")).sslContext(trusting).build();
      try (RelayConnection s = sender.connect(); RelayConnection l = listener.accept(Duration.ofSeconds(5))) {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
          var upSent = pool.submit(() -> writeMixed(s, 11));
          var downSent = pool.submit(() -> writeMixed(l, 12));
          var upRead = pool.submit(() -> readSlowly(l, 13));
          byte[] downRead = readSlowly(s, 14);
          assertThat(downRead).isEqualTo(downSent.get(60, TimeUnit.SECONDS));
          assertThat(upRead.get(60, TimeUnit.SECONDS)).isEqualTo(upSent.get(60, TimeUnit.SECONDS));
        } finally {
          pool.shutdownNow();
        }
      }
    }
  }

  /** About 4 MiB in writes of 1 byte to 70,000 bytes; returns the SHA-256 of what was written. */
  private static byte[] writeMixed(RelayConnection c, long seed) throws Exception {
    java.util.Random r = new java.util.Random(seed);
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    java.io.OutputStream out = c.getOutputStream();
    long total = 0;
    while (total < 4L << 20) {
      int n = switch (r.nextInt(4)) {
        case 0 -> 1 + r.nextInt(16);
        case 1 -> 1 + r.nextInt(2_000);
        case 2 -> 16_000 + r.nextInt(1_000);
        default -> 1 + r.nextInt(70_000);
      };
      byte[] b = new byte[n];
      r.nextBytes(b);
      out.write(b);
      sha.update(b);
      total += n;
    }
    c.shutdownOutput();
    return sha.digest();
  }

  /** Reads to the end in reads of varying size, pausing now and then; returns the SHA-256. */
  private static byte[] readSlowly(RelayConnection c, long seed) throws Exception {
    java.util.Random r = new java.util.Random(seed);
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    InputStream in = c.getInputStream();
    byte[] buf = new byte[100_000];
    int n;
    int reads = 0;
    while ((n = in.read(buf, 0, 1 + r.nextInt(buf.length))) >= 0) {
      sha.update(buf, 0, n);
      if (++reads % 50 == 0) {
        Thread.sleep(5);
      }
    }
    return sha.digest();
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
