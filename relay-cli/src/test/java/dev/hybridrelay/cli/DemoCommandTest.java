package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code hybridrelay demo --self-test}: the README's main command, run as CI would run it. */
class DemoCommandTest {

  @Test
  @Timeout(60)
  void selfTestFetchesThePageThroughTheWholeChain() {
    DemoCommand demo = new DemoCommand();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    demo.out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    int code = new CommandLine(demo).execute("--self-test", "--port", "0");
    String out = buf.toString(StandardCharsets.UTF_8);
    assertThat(code).as(out).isZero();
    assertThat(out).contains("Open http://127.0.0.1:")
        .containsPattern("self-test: GET http://127\\.0\\.0\\.1:\\d+/ -> 200 \"This page came through the hybrid relay\"")
        .containsPattern("self-test: GET http://127\\.0\\.0\\.1:\\d+/demo-http/ -> 200 \"This page came through the hybrid relay\"")
        .contains("self-test: the page came through relay (HTTP request) -> HTTP forwarder")
        .contains("-H demo-http:http/127.0.0.1:")
        .contains("self-test passed: both paths work");
  }

  @Test
  void mainListsTheSubcommands() {
    CommandLine main = Main.commandLine(new String[0]);
    assertThat(main.getSubcommands()).containsKeys("forward", "demo");
  }
}
