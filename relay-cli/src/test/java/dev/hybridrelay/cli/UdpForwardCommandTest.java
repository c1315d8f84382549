package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.hybridrelay.server.LocalRelayServer;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** {@code hybridrelay forward} with UDP rules ({@code -L portU}, {@code -T hc:host:portU}) against the local relay. */
class UdpForwardCommandTest {
  private static final String KEY = LocalRelayServer.Builder.randomKey();
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
  @Timeout(60)
  void udpRulesForwardDatagramsAndLogOneLinePerFlow() throws Exception {
    Logger status = (Logger) LoggerFactory.getLogger("hybridrelay.forward");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    status.addAppender(lines);
    try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
         DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      int localPort = probe.getLocalPort();
      probe.close();
      Thread echo = new Thread(() -> {
        byte[] b = new byte[65_536];
        while (true) {
          DatagramPacket p = new DatagramPacket(b, b.length);
          try {
            target.receive(p);
            byte[] reply = ("echo:" + new String(b, 0, p.getLength(), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
            target.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
          } catch (Exception e) {
            return;
          }
        }
      }, "udp-cli-test-echo");
      echo.setDaemon(true);
      echo.start();
      ForwardCommand cmd = new ForwardCommand();
      new CommandLine(cmd).parseArgs("-x", relay.connectionString("cli"),
          "-T", "cli-udp:dns/127.0.0.1:" + target.getLocalPort() + "U",
          "-L", localPort + "U/dns:cli-udp", "--udp-idle-timeout", "1", "--status-interval", "0");
      try (ForwardRun.Running running = ForwardRun.start(cmd.plan())) {
        assertThat(running.udpLocals).hasSize(1);
        assertThat(running.locals).isEmpty();
        assertThat(running.remotes.get(0).udpTargets()).containsKey("dns");
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
          s.setSoTimeout(1000);
          byte[] msg = "hello udp".getBytes(StandardCharsets.UTF_8);
          String got = null;
          for (int i = 0; i < 20 && got == null; i++) {
            s.send(new DatagramPacket(msg, msg.length, InetAddress.getLoopbackAddress(), localPort));
            DatagramPacket r = new DatagramPacket(new byte[100], 100);
            try {
              s.receive(r);
              got = new String(r.getData(), 0, r.getLength(), StandardCharsets.UTF_8);
            } catch (java.net.SocketTimeoutException e) {
              // again
            }
          }
          assertThat(got).isEqualTo("echo:hello udp");
          // the 1-second idle timeout closes the flow (on this side, or first on the remote side, which
          // closes the relay connection cleanly); the close line carries the datagram counts
          await().atMost(Duration.ofSeconds(20)).until(() -> lines.list.stream()
              .anyMatch(e -> e.getFormattedMessage().matches("U-\\d+ closed udp 127\\.0\\.0\\.1:" + s.getLocalPort()
                  + " -> hc 'cli-udp' port 'dns': \\d+ datagrams .* to relay, \\d+ .* from relay, \\d+ dropped, .*, "
                  + "(idle_timeout|closed)")));
          assertThat(lines.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
              .matches("U-\\d+ open   udp 127\\.0\\.0\\.1:" + s.getLocalPort()
                  + " -> hc 'cli-udp' port 'dns' \\(tracking id .*\\)"));
          assertThat(lines.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
              .matches("R-\\d+ open   hc 'cli-udp' port 'dns' -> udp 127\\.0\\.0\\.1:" + target.getLocalPort() + " .*"));
        }
      }
    } finally {
      status.detachAppender(lines);
    }
  }
}
