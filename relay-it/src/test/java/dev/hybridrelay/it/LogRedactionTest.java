package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.it.support.EchoListener;
import dev.hybridrelay.it.support.ProtocolListener;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.it.support.Sas;
import dev.hybridrelay.it.support.Scenarios;
import dev.hybridrelay.it.support.Transfers;
import dev.hybridrelay.testkit.RawWebSocket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S11: runs traffic with a canary key and canary tokens at DEBUG (logback-test.xml writes
 * {@code target/relay-it-debug.log}), then searches every file under {@code target/} — logs,
 * surefire reports, scenario results — for the canaries, for {@code sig=} values and for
 * {@code sb-hc-token=} values. Runs last so it also covers the other scenarios' logs.
 */
@Order(Integer.MAX_VALUE)
class LogRedactionTest {

  static final String CANARY_KEY = "CanaryKeyZq7Xw3Vb9Nm2Lk5Jh8Gf4Ds1Ap6Oi0Uy=";
  static final String CANARY_RULE = "canary-rule";

  @Test
  @Timeout(120)
  void s11NoSecretsInLogsOrReports() throws Exception {
    List<String> canaries = new ArrayList<>();
    canaries.add(CANARY_KEY);
    try (RelayFixture relay = RelayFixture.start(CANARY_KEY,
        b -> b.rule(CANARY_RULE, CANARY_KEY))) {
      String cs = relay.connectionString("s11");
      // happy path: listener + sender with the canary key
      try (EchoListener echo = EchoListener.open(cs)) {
        relay.awaitListeners("s11", 1, Duration.ofSeconds(5));
        try (RelayConnection c = RelaySender.builder(cs).build().connect(Duration.ofSeconds(5))) {
          Transfers.echo(c, 1, 10_000, 10);
        }
        // a canary token with a bad signature, in the query and in the header
        String bad = Sas.token(CANARY_RULE, "WrongCanaryKeyPp0Oo9Ii8Uu7Yy6Tt5Rr4Ee3Ww2Qq=",
            "http://localhost/s11/", System.currentTimeMillis() / 1000 + 3600);
        canaries.add(sigOf(bad));
        try (RawWebSocket ws = RawWebSocket.connect("127.0.0.1", relay.port(),
            Duration.ofSeconds(5))) {
          ws.handshake("/$hc/s11?sb-hc-action=connect&sb-hc-token=" + Sas.enc(bad), Map.of());
        }
        try (RawWebSocket ws = RawWebSocket.connect("127.0.0.1", relay.port(),
            Duration.ofSeconds(5))) {
          ws.handshake("/$hc/s11?sb-hc-action=listen", Map.of("ServiceBusAuthorization", bad));
        }
        // the library with a wrong key: its failures must not print the token either
        String wrongCs = cs.replace(CANARY_KEY, "WrongCanaryKeyPp0Oo9Ii8Uu7Yy6Tt5Rr4Ee3Ww2Qq=");
        canaries.add("WrongCanaryKeyPp0Oo9Ii8Uu7Yy6Tt5Rr4Ee3Ww2Qq=");
        try (RelayConnection c = RelaySender.builder(wrongCs).build()
            .connect(Duration.ofSeconds(5))) {
          // not expected
        } catch (IOException e) {
          System.out.println("S11 expected refusal: " + e);
        }
        // a rendezvous address (a capability) must not be logged either
        try (ProtocolListener stalled = new ProtocolListener(relay.listenUri("s11b"),
            ProtocolListener.Mode.IGNORE)) {
          relay.awaitListeners("s11b", 1, Duration.ofSeconds(5));
          try (RelayConnection c = RelaySender.builder(relay.connectionString("s11b"))
              .connectTimeout(Duration.ofMillis(500)).build().connect()) {
            // not expected
          } catch (IOException e) {
            System.out.println("S11 expected timeout: " + e);
          }
          ProtocolListener.Accept a = stalled.accepts().poll(5, java.util.concurrent.TimeUnit.SECONDS);
          if (a != null) {
            Matcher m = Pattern.compile("[?&][^=&]*(?:secret|rendezvous)[^=&]*=([^&]+)")
                .matcher(a.address());
            while (m.find()) {
              canaries.add(m.group(1));
            }
          }
        }
      }
    }
    Thread.sleep(500);
    Pattern sig = Pattern.compile("sig(?:=|%3D|%253D)([A-Za-z0-9%+/]{8,})");
    Pattern token = Pattern.compile("sb-hc-token=([^&\\s\"']{8,})");
    List<String> hits = new ArrayList<>();
    int files = 0;
    try (Stream<Path> walk = Files.walk(Path.of("target"))) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        String name = p.toString();
        if (!Files.isRegularFile(p) || name.contains("classes") || name.endsWith(".jar")
            || name.contains("autobahn") || Files.size(p) > 200L << 20) {
          continue; // compiled code, and the Autobahn run that is handed its URL by this harness
        }
        files++;
        String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
        for (String c : canaries) {
          if (text.contains(c)) {
            hits.add(p.getFileName() + ":canary");
          }
        }
        Matcher m = sig.matcher(text);
        while (m.find()) {
          if (!m.group(1).startsWith("REDACTED") && !m.group(1).startsWith("%2A")
              && !m.group(1).startsWith("***")) {
            hits.add(p.getFileName() + ":sig=" + m.group(1).substring(0, 4) + "…");
          }
        }
        m = token.matcher(text);
        while (m.find()) {
          if (!m.group(1).startsWith("REDACTED") && !m.group(1).startsWith("***")) {
            hits.add(p.getFileName() + ":sb-hc-token=" + m.group(1).substring(0, 4) + "…");
          }
        }
      }
    }
    List<String> distinct = hits.stream().distinct().toList();
    Scenarios.record("S11", distinct.isEmpty() ? "PASS" : "FAIL", "files_scanned=" + files
        + " canaries=" + canaries.size() + " hits=" + hits.size() + " "
        + distinct.subList(0, Math.min(10, distinct.size())));
    assertThat(distinct).isEmpty();
  }

  private static String sigOf(String token) {
    int i = token.indexOf("sig=") + 4;
    int j = token.indexOf('&', i);
    return token.substring(i, j);
  }
}
