package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayHttpSender;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hybridrelay forward -H}: the spec forms, and the CLI in a child JVM in front of a plain
 * {@code python3 -m http.server} serving a 100 MiB file, fetched with curl through the local relay.
 */
class HttpForwardCommandTest {
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static final long BIG = 100L * 1024 * 1024;
  private static LocalRelayServer relay;

  @BeforeAll
  static void startRelay() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule("cli", KEY).autoCreate(true).build().start();
  }

  @AfterAll
  static void stopRelay() {
    relay.shutdown(Duration.ofSeconds(1));
  }

  @Test
  void specFormsAsAzbridge() throws Exception {
    assertThat(HttpRules.parse("web:http/8080").uri()).hasToString("http://localhost:8080/");
    assertThat(HttpRules.parse("web:https/intranet.example.com").uri()).hasToString("https://intranet.example.com:443/");
    assertThat(HttpRules.parse("web:http/intranet.example.com").uri()).hasToString("http://intranet.example.com:80/");
    assertThat(HttpRules.parse("web:http/10.0.0.5/app/v1:8080").uri()).hasToString("http://10.0.0.5:8080/app/v1/");
    assertThat(HttpRules.parse("web:https/[::1]/x:8443").uri()).hasToString("https://[::1]:8443/x/");
    assertThat(HttpRules.parse("web:http/127.0.0.1:9000").hybridConnection()).isEqualTo("web");
    assertThatThrownBy(() -> HttpRules.parse("web:ftp/21")).hasMessageContaining("must be 'http' or 'https'");
    assertThatThrownBy(() -> HttpRules.parse("web:8080")).hasMessageContaining("expected hc_name:{http|https}/");
    assertThatThrownBy(() -> HttpRules.parse("web:http/h:99999")).hasMessageContaining("99999");
    assertThatThrownBy(() -> HttpRules.parse("web:http/8080;https/8443")).hasMessageContaining("one HTTP target");
    ForwardCommand both = new ForwardCommand();
    new picocli.CommandLine(both).parseArgs("-x", relay.connectionString("cli"), "-H", "web:http/8080", "-T", "web:22");
    assertThatThrownBy(both::plan).hasMessageContaining("cannot share one, as in azbridge");
  }

  @Test
  @Timeout(300)
  void hundredMebibytesFromPythonHttpServerThroughForwardH(@TempDir Path dir) throws Exception {
    assumeThat(onPath("python3")).as("python3 on PATH").isTrue();
    Path www = Files.createDirectories(dir.resolve("www"));
    Path file = www.resolve("big.bin");
    String expected = writeRandom(file, BIG);
    int webPort = freePort();
    Process web = new ProcessBuilder("python3", "-m", "http.server", Integer.toString(webPort), "--bind", "127.0.0.1")
        .directory(www.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("web.log").toFile()).start();
    String hc = "web-big";
    String cs = relay.connectionString("cli");
    try (CliProcess fwd = CliProcess.start(dir, "forward", null, "forward", "-x", cs,
        "-H", hc + ":http/127.0.0.1:" + webPort, "--status-interval", "0")) {
      await().atMost(Duration.ofSeconds(60)).until(() -> fwd.stderr().contains("Forwarding HTTP requests"));
      await().atMost(Duration.ofSeconds(30)).until(() -> canConnect(webPort));
      RelayHttpSender sender = RelayHttpSender.create(RelayConnectionString.parse(relay.connectionString("cli", hc)));
      Path out = dir.resolve("fetched.bin");
      if (onPath("curl")) {
        Process curl = new ProcessBuilder("curl", "-sS", "--fail", "-o", out.toString(),
            "-H", RelayHttpSender.TOKEN_HEADER + ": " + sender.token(), sender.uri("/big.bin").toString())
            .redirectErrorStream(true).redirectOutput(dir.resolve("curl.log").toFile()).start();
        assertThat(curl.waitFor(240, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(curl.exitValue()).as(Files.readString(dir.resolve("curl.log"))).isZero();
      } else {
        HttpResponse<Path> r = HttpClient.newHttpClient().send(sender.newRequest("/big.bin").GET().build(),
            HttpResponse.BodyHandlers.ofFile(out));
        assertThat(r.statusCode()).isEqualTo(200);
      }
      assertThat(Files.size(out)).isEqualTo(BIG);
      assertThat(sha256(out)).isEqualTo(expected);
      await().atMost(Duration.ofSeconds(30)).until(() -> fwd.stderr().contains("GET /big.bin -> 200"));
      String log = fwd.stderr();
      assertThat(log).contains("100.0 MiB out").doesNotContain(sender.token()).doesNotContain(KEY);
    } finally {
      web.destroy();
      web.waitFor();
    }
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static boolean canConnect(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String writeRandom(Path file, long size) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    Random random = new Random(42);
    byte[] buf = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= buf.length) {
        random.nextBytes(buf);
        int n = (int) Math.min(buf.length, left);
        out.write(buf, 0, n);
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) >= 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
