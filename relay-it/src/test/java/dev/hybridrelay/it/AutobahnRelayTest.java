package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridrelay.it.support.ProtocolListener;
import dev.hybridrelay.it.support.ProtocolSender;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.it.support.Scenarios;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import me.normanmaurer.maven.autobahntestsuite.AutobahnTestSuite;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S1: Autobahn|Testsuite 0.5.6 (groups 1–10) in fuzzing-client mode against the relay's sender
 * endpoint, with a message-echoing listener behind it (sender → relay → listener → relay →
 * fuzzer). Pass: 0 FAILED and the relay still relays afterwards. Run with
 * {@code mvn -B -pl relay-it -Pautobahn test}; the report is in
 * {@code relay-it/target/autobahntestsuite-reports/index.html}.
 */
@Tag("autobahn")
class AutobahnRelayTest {

  private static final String HC = "echo";

  @Test
  @Timeout(value = 20, unit = TimeUnit.MINUTES)
  void fuzzingClientAgainstRelaySenderEndpoint() throws Exception {
    // Limits raised above the suite's largest case (9.1.6/9.2.6: one 16 MiB message), so the
    // run measures protocol behaviour, not the relay's (lower) default size caps.
    try (RelayFixture relay = RelayFixture.start(b -> b.maxFramePayload(20 << 20)
            .maxMessageSize(20L << 20));
        ProtocolListener echo = new ProtocolListener(relay.listenUri(HC),
            ProtocolListener.Mode.ECHO)) {
      relay.awaitListeners(HC, 1, Duration.ofSeconds(5));
      String url = relay.senderUri(HC).toString();
      long t0 = System.nanoTime();
      runWstest(url);
      long secs = (System.nanoTime() - t0) / 1_000_000_000L;

      JsonNode index = new ObjectMapper().readTree(
          new File("target/autobahntestsuite-reports/index.json"));
      JsonNode agent = index.elements().next();
      Map<String, Integer> counts = new TreeMap<>();
      Map<String, List<String>> byBehavior = new TreeMap<>();
      int cases = 0;
      for (Iterator<Map.Entry<String, JsonNode>> it = agent.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String b = e.getValue().path("behavior").asText();
        counts.merge(b, 1, Integer::sum);
        byBehavior.computeIfAbsent(b, k -> new ArrayList<>()).add(e.getKey());
        cases++;
      }
      boolean survived = relayStillRelays(relay);
      String figures = "cases=" + cases + " OK=" + counts.getOrDefault("OK", 0)
          + " NON-STRICT=" + counts.getOrDefault("NON-STRICT", 0)
          + " INFORMATIONAL=" + counts.getOrDefault("INFORMATIONAL", 0)
          + " UNIMPLEMENTED=" + counts.getOrDefault("UNIMPLEMENTED", 0)
          + " FAILED=" + counts.getOrDefault("FAILED", 0)
          + " other=" + (cases - counts.getOrDefault("OK", 0)
              - counts.getOrDefault("NON-STRICT", 0) - counts.getOrDefault("INFORMATIONAL", 0)
              - counts.getOrDefault("UNIMPLEMENTED", 0) - counts.getOrDefault("FAILED", 0))
          + " relay_survived=" + survived + " seconds=" + secs;
      System.out.println("AUTOBAHN cases by behavior: " + byBehavior);
      boolean pass = counts.getOrDefault("FAILED", 0) == 0 && survived;
      Scenarios.record("S1", pass ? "PASS" : "FAIL", figures + " non_ok="
          + nonOk(byBehavior));
      assertThat(byBehavior.getOrDefault("FAILED", List.of())).isEmpty();
      assertThat(survived).isTrue();
    }
  }

  /**
   * Runs wstest in its own JVM with only Jython and the suite on the class path: inside the test
   * JVM, Jython maps the Java package {@code io} (io.netty) over Python's {@code io} module and
   * Twisted fails to import.
   */
  private static void runWstest(String url) throws Exception {
    Path spec = Path.of("target", "autobahn-spec.json");
    Files.createDirectories(spec.getParent());
    ObjectMapper json = new ObjectMapper();
    Map<String, Object> server = new LinkedHashMap<>();
    server.put("agent", "HybridRelay");
    server.put("url", url);
    server.put("options", Map.of("version", 18));
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("options", Map.of("failByDrop", false));
    s.put("outdir", "target/autobahntestsuite-reports");
    s.put("servers", List.of(server));
    s.put("cases", List.of("*"));
    s.put("exclude-cases", List.of());
    s.put("exclude-agent-cases", Map.of());
    json.writeValue(spec.toFile(), s);
    String cp = jarOf(AutobahnTestSuite.class) + File.pathSeparator
        + jarOf(org.python.util.PythonInterpreter.class);
    String script = "import json\n"
        + "from autobahntestsuite import wstest\n"
        + "spec = json.loads(open('target/autobahn-spec.json').read())\n"
        + "wstest.start({'mode': 'fuzzingclient'}, spec)\n";
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-cp", cp, "org.python.util.jython", "-c", script);
    pb.redirectErrorStream(true);
    pb.redirectOutput(new File("target/autobahn-wstest.log"));
    Process p = pb.start();
    if (!p.waitFor(18, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("wstest did not finish in 18 min; see target/autobahn-wstest.log");
    }
    assertThat(p.exitValue()).as("wstest exit code; see target/autobahn-wstest.log").isZero();
  }

  private static String jarOf(Class<?> c) throws Exception {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }

  private static String nonOk(Map<String, List<String>> byBehavior) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, List<String>> e : byBehavior.entrySet()) {
      if (!e.getKey().equals("OK")) {
        sb.append(e.getKey()).append(':').append(String.join(",", e.getValue())).append(';');
      }
    }
    return sb.toString().replace(' ', '_');
  }

  private static boolean relayStillRelays(RelayFixture relay) throws Exception {
    ProtocolSender s = new ProtocolSender(relay.senderUri(HC));
    try {
      if (!s.connectBlocking(10, TimeUnit.SECONDS)) {
        return false;
      }
      s.send("still alive");
      return "still alive".equals(s.messages().poll(10, TimeUnit.SECONDS));
    } finally {
      s.closeBlocking();
    }
  }
}
