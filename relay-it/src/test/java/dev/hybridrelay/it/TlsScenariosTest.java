package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.it.support.ChildJvm;
import dev.hybridrelay.it.support.EchoListener;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.it.support.Scenarios;
import dev.hybridrelay.it.support.TlsProbeMain;
import dev.hybridrelay.it.support.Transfers;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S10: TLS — bad certificates refused by the client library, only TLS 1.2/1.3 on the relay. */
class TlsScenariosTest {
  static final char[] PASSWORD = "changeit".toCharArray();

  /** Generates a PKCS#12 keystore with one EC key pair and a self-signed certificate. */
  static Path keystore(Path dir, String name, String dname, String san, String startDate,
      int validityDays) throws Exception {
    Path ks = dir.resolve(name + ".p12");
    Files.deleteIfExists(ks);
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
        "-alias", "relay", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname,
        "-ext", "SAN=" + san, "-validity", Integer.toString(validityDays),
        "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", new String(PASSWORD),
        "-keypass", new String(PASSWORD)));
    if (startDate != null) {
      cmd.add("-startdate");
      cmd.add(startDate);
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
    return ks;
  }

  static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
  }

  /**
   * A keystore whose certificate for localhost is issued by the CA in {@code ca} (alias "ca"),
   * valid from {@code startDate} for {@code validityDays}. (An expired certificate that is itself
   * the trust anchor is not checked for expiry by the JDK — PKIX does not validate trust anchors —
   * so expiry is tested on a leaf under a valid CA.)
   */
  static Path issued(Path dir, Path ca, String name, String startDate, int validityDays)
      throws Exception {
    Path ks = dir.resolve(name + ".p12");
    Path csr = dir.resolve(name + ".csr");
    Path crt = dir.resolve(name + ".crt");
    Path caCrt = dir.resolve("ca.crt");
    for (Path p : List.of(ks, csr, crt, caCrt)) {
      Files.deleteIfExists(p);
    }
    String pw = new String(PASSWORD);
    keytool("-genkeypair", "-alias", "relay", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=localhost", "-keystore", ks.toString(), "-storetype", "PKCS12",
        "-storepass", pw, "-keypass", pw);
    keytool("-certreq", "-alias", "relay", "-keystore", ks.toString(), "-storepass", pw,
        "-file", csr.toString());
    keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pw,
        "-infile", csr.toString(), "-outfile", crt.toString(), "-startdate", startDate,
        "-validity", Integer.toString(validityDays), "-ext", "SAN=dns:localhost,ip:127.0.0.1");
    keytool("-exportcert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pw,
        "-file", caCrt.toString());
    keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", ks.toString(),
        "-storepass", pw, "-file", caCrt.toString());
    keytool("-importcert", "-alias", "relay", "-keystore", ks.toString(), "-storepass", pw,
        "-file", crt.toString());
    return ks;
  }

  /** A client context trusting exactly the certificate in {@code ks} (alias "relay"). */
  static SSLContext trusting(Path ks) throws Exception {
    return trusting(ks, "relay");
  }

  /** A client context trusting exactly the certificate {@code alias} in {@code ks}. */
  static SSLContext trusting(Path ks, String alias) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, PASSWORD);
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("relay", store.getCertificate(alias));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(
        TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  static String rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getClass().getSimpleName();
  }

  /** "sender=…/listener=…" outcome of a sender connect and a listener open against a TLS relay. */
  static String[] tryClients(Path ks, SSLContext client) throws Exception {
    try (RelayFixture relay = RelayFixture.start(b -> b.tls(ks, PASSWORD))) {
      String cs = relay.connectionString("s10");
      String listener;
      RelayListener.Builder lb = RelayListener.builder(cs).operationTimeout(Duration.ofSeconds(10));
      if (client != null) {
        lb.sslContext(client);
      }
      try (RelayListener l = lb.build()) {
        l.open();
        listener = "connected";
      } catch (Exception e) {
        listener = "refused:" + rootCause(e);
      }
      String sender;
      RelaySender.Builder sb = RelaySender.builder(cs).connectTimeout(Duration.ofSeconds(10));
      if (client != null) {
        sb.sslContext(client);
      }
      try (RelayConnection c = sb.build().connect()) {
        sender = "connected";
      } catch (Exception e) {
        sender = e.getClass().getSimpleName().startsWith("RelayConnect") && rootCause(e)
            .equals("RelayConnectException") ? "reached_relay" : "refused:" + rootCause(e);
      }
      return new String[] {sender, listener};
    }
  }

  @Test
  @Timeout(180)
  void s10Tls() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "s10-tls"));
    Path good = keystore(dir, "good", "CN=localhost", "dns:localhost,ip:127.0.0.1", null, 2);
    Path wrongHost = keystore(dir, "wrong-host", "CN=wrong.example.invalid",
        "dns:wrong.example.invalid", null, 2);
    Path ca = dir.resolve("ca.p12");
    Files.deleteIfExists(ca);
    keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=Hybrid Relay Test CA", "-ext", "bc:c", "-validity", "10", "-keystore",
        ca.toString(), "-storetype", "PKCS12", "-storepass", new String(PASSWORD), "-keypass",
        new String(PASSWORD));
    Path expired = issued(dir, ca, "expired", "-3d", 1);
    Path caValid = issued(dir, ca, "ca-valid", "-1d", 3);
    Path expiredPinned = keystore(dir, "expired-pinned", "CN=localhost",
        "dns:localhost,ip:127.0.0.1", "-3d", 1);
    Map<String, String> results = new TreeMap<>();
    boolean ok = true;
    // positive control: valid certificate, client trusting it
    String control;
    SSLContext goodTrust = trusting(good);
    try (RelayFixture relay = RelayFixture.start(b -> b.tls(good, PASSWORD));
        EchoListener echo = EchoListener.open(relay.connectionString("s10"),
            b -> b.sslContext(goodTrust))) {
      try (RelayConnection c = RelaySender.builder(relay.connectionString("s10"))
          .sslContext(trusting(good)).build().connect(Duration.ofSeconds(10))) {
        control = Transfers.echo(c, 1, 100_000, 10).intact() ? "echo_intact" : "mismatch";
      }
    }
    results.put("valid_cert_trusted", control);
    ok &= control.equals("echo_intact");
    String[] caControl = tryClients(caValid, trusting(ca, "ca"));
    results.put("valid_ca_issued", "sender=" + caControl[0] + "/listener=" + caControl[1]);
    ok &= !caControl[0].startsWith("refused") && caControl[1].equals("connected");
    // informational: an expired self-signed certificate pinned as the trust anchor
    String[] pinned = tryClients(expiredPinned, trusting(expiredPinned));
    results.put("info_expired_self_signed_pinned", "sender=" + pinned[0] + "/listener="
        + pinned[1]);
    String[][] cases = {
        tryClients(wrongHost, trusting(wrongHost)),
        tryClients(expired, trusting(ca, "ca")),
        tryClients(good, null)};
    String[] names = {"wrong_host", "expired_ca_issued", "self_signed_untrusted_default_context"};
    for (int i = 0; i < cases.length; i++) {
      results.put(names[i], "sender=" + cases[i][0] + "/listener=" + cases[i][1]);
      ok &= cases[i][0].startsWith("refused:") && cases[i][1].startsWith("refused:");
    }
    // protocol versions offered by the relay, probed from a JVM with TLS 1.0/1.1 re-enabled
    Path sec = dir.resolve("client-legacy-tls.security");
    Files.writeString(sec, "jdk.tls.disabledAlgorithms=SSLv3, RC4, DES, MD5withRSA, "
        + "DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL\n");
    Map<String, String> protocols = new TreeMap<>();
    try (RelayFixture relay = RelayFixture.start(b -> b.tls(good, PASSWORD))) {
      try (ChildJvm probe = ChildJvm.start(TlsProbeMain.class, "s10-probe.log",
          List.of("-Xmx64m", "-Djava.security.properties=" + sec.toAbsolutePath()), "127.0.0.1",
          Integer.toString(relay.port()), "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")) {
        probe.awaitLine("TLS DONE", Duration.ofSeconds(60));
        for (String l : probe.output()) {
          String[] p = l.split(" ");
          if (p.length >= 3 && !p[1].equals("DONE")) {
            protocols.put(p[1], p[2] + (p.length > 3 ? ":" + p[3] : ""));
          }
        }
      }
    }
    boolean protoOk = protocols.getOrDefault("TLSv1", "").startsWith("FAIL")
        && protocols.getOrDefault("TLSv1.1", "").startsWith("FAIL")
        && protocols.getOrDefault("TLSv1.2", "").equals("OK:TLSv1.2")
        && protocols.getOrDefault("TLSv1.3", "").equals("OK:TLSv1.3");
    String figures = results.toString().replace(", ", " ").replace("{", "").replace("}", "")
        + " relay_protocols=" + protocols.toString().replace(", ", ",").replace(" ", "");
    boolean pass = ok && protoOk;
    Scenarios.record("S10", pass ? "PASS" : "FAIL", figures);
    assertThat(ok).as(figures).isTrue();
    assertThat(protoOk).as(figures).isTrue();
  }
}
