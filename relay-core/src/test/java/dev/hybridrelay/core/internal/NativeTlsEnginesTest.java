package dev.hybridrelay.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.server.LocalRelayServer.TlsProvider;
import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The optional native TLS engines: netty-tcnative (BoringSSL) in the relay and Conscrypt in the
 * client, each against the JDK's on the other side, and their fallbacks. Runs with and without them
 * on the class path ({@code -DnoNativeTls}); the cases that need one are skipped, with the reason,
 * when it is absent.
 */
@Timeout(120)
class NativeTlsEnginesTest {
  static final String KEY = "bmF0aXZlLXRscy10ZXN0LWtleS1mb3ItdGhlLXJlbGF5";
  static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir
  static Path dir;
  static Path keystore;
  static TrustManagerFactory trust;

  @BeforeAll
  static void certificate() throws Exception {
    keystore = dir.resolve("relay.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "relay", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
        .redirectErrorStream(true).start();
    keytool.getInputStream().transferTo(OutputStream.nullOutputStream());
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      ks.load(in, PASSWORD);
    }
    trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(ks);
  }

  static boolean conscryptAvailable() {
    return ClientTls.conscrypt() != null;
  }

  static SSLContext client(String engine) throws Exception {
    if (engine.equals("conscrypt")) {
      SSLContext c = ClientTls.conscrypt(trust);
      assertThat(c).isNotNull();
      return c;
    }
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(null, trust.getTrustManagers(), null);
    return c;
  }

  static LocalRelayServer relay(TlsProvider provider) throws IOException {
    return LocalRelayServer.builder().autoCreate(true).rule("root", KEY).tls(keystore, PASSWORD)
        .tlsProvider(provider).advertisedHost("localhost").build().start();
  }

  static String cs(LocalRelayServer relay, String host) {
    return "Endpoint=sb://" + host + ":" + relay.port() + "/;SharedAccessKeyName=root;SharedAccessKey=" + KEY
        + ";EntityPath=native";
  }

  @ParameterizedTest(name = "relay {0}, client {1}")
  @CsvSource({"JDK, jdk", "OPENSSL, jdk", "JDK, conscrypt", "OPENSSL, conscrypt"})
  void bytesCrossTheRelayBothWaysWithEachPairOfEngines(TlsProvider relayEngine, String clientEngine)
      throws Exception {
    if (relayEngine == TlsProvider.OPENSSL) {
      assumeTrue(OpenSsl.isAvailable(), "netty-tcnative-boringssl-static is not on the class path");
    }
    if (clientEngine.equals("conscrypt")) {
      assumeTrue(conscryptAvailable(), "conscrypt-openjdk-uber is not on the class path");
    }
    LocalRelayServer relay = relay(relayEngine);
    try {
      assertThat(relay.tlsEngine()).startsWith(relayEngine == TlsProvider.OPENSSL ? "OpenSSL" : "JDK");
      SSLContext ctx = client(clientEngine);
      assertThat(ClientTls.isConscrypt(ctx)).isEqualTo(clientEngine.equals("conscrypt"));
      byte[] up = new byte[3 * 1024 * 1024 + 17];
      byte[] down = new byte[1024 * 1024 + 5];
      new Random(7).nextBytes(up);
      new Random(8).nextBytes(down);
      try (RelayListener listener = RelayListener.builder(cs(relay, "localhost")).sslContext(ctx).build()) {
        listener.open();
        RelaySender sender = RelaySender.builder(cs(relay, "localhost")).sslContext(ctx).build();
        try (RelayConnection s = sender.connect(); RelayConnection l = listener.accept(Duration.ofSeconds(30))) {
          CompletableFuture<byte[]> atListener = CompletableFuture.supplyAsync(() -> readAll(l));
          CompletableFuture<Void> back = CompletableFuture.runAsync(() -> writeAll(l, down));
          s.getOutputStream().write(up);
          s.shutdownOutput();
          assertThat(s.getInputStream().readAllBytes()).isEqualTo(down);
          assertThat(atListener.get(60, TimeUnit.SECONDS)).isEqualTo(up);
          back.get(60, TimeUnit.SECONDS);
        }
      }
    } finally {
      relay.shutdown(Duration.ZERO);
    }
  }

  @Test
  void conscryptVerifiesTheHostName() throws Exception {
    assumeTrue(conscryptAvailable(), "conscrypt-openjdk-uber is not on the class path");
    LocalRelayServer relay = relay(TlsProvider.AUTO);
    try {
      // trusted certificate, but issued for "localhost" and reached as 127.0.0.1
      RelaySender sender = RelaySender.builder(cs(relay, "127.0.0.1")).sslContext(client("conscrypt")).build();
      assertThatThrownBy(sender::connect).isInstanceOf(SSLHandshakeException.class);
    } finally {
      relay.shutdown(Duration.ZERO);
    }
  }

  @Test
  void conscryptRefusesAnUntrustedCertificate() throws Exception {
    assumeTrue(conscryptAvailable(), "conscrypt-openjdk-uber is not on the class path");
    LocalRelayServer relay = relay(TlsProvider.AUTO);
    try {
      // the JDK's default trust store does not know the throw-away certificate
      RelaySender sender = RelaySender.builder(cs(relay, "localhost")).sslContext(ClientTls.conscrypt()).build();
      assertThatThrownBy(sender::connect).isInstanceOf(SSLHandshakeException.class);
    } finally {
      relay.shutdown(Duration.ZERO);
    }
  }

  @Test
  void autoPicksConscryptWhenPresentOnTheClientAndTheJdkEngineInTheRelay() throws Exception {
    assertThat(ClientTls.isConscrypt(ClientTls.create("auto"))).isEqualTo(conscryptAvailable());
    assertThat(ClientTls.isConscrypt(ClientTls.create("jdk"))).isFalse();
    LocalRelayServer relay = relay(TlsProvider.AUTO);
    try {
      // the relay's OpenSSL engine is opt-in (it closes both directions on a peer's close_notify)
      assertThat(relay.tlsEngine()).startsWith("JDK");
    } finally {
      relay.shutdown(Duration.ZERO);
    }
    LocalRelayServer jdk = relay(TlsProvider.JDK);
    try {
      assertThat(jdk.tlsEngine()).startsWith("JDK");
    } finally {
      jdk.shutdown(Duration.ZERO);
    }
  }

  @Test
  void askingForAnAbsentNativeEngineFailsWithWhatToDo() {
    assumeFalse(conscryptAvailable() && OpenSsl.isAvailable(), "both native engines are on the class path");
    if (!conscryptAvailable()) {
      assertThatThrownBy(() -> ClientTls.create("conscrypt")).isInstanceOf(IOException.class)
          .hasMessageContaining("org.conscrypt:conscrypt-openjdk-uber").hasMessageContaining("jdk");
    }
    if (!OpenSsl.isAvailable()) {
      assertThatThrownBy(() -> LocalRelayServer.builder().tls(keystore, PASSWORD).tlsProvider(TlsProvider.OPENSSL)
          .build()).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("netty-tcnative-boringssl-static");
    }
  }

  @Test
  void anUnknownSettingIsAClearError() {
    assertThatThrownBy(() -> ClientTls.create("fastest")).isInstanceOf(IOException.class)
        .hasMessageContaining("auto, jdk or conscrypt");
  }

  private static byte[] readAll(RelayConnection c) {
    try {
      return c.getInputStream().readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void writeAll(RelayConnection c, byte[] b) {
    try {
      c.getOutputStream().write(b);
      c.shutdownOutput();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
