package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.server.LocalRelayExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class DataPathTest {
  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.create();

  @Test
  void senderAndListenerExchangeBytesAndEndOfStream() throws Exception {
    String cs = relay.connectionString("smoke");
    try (RelayListener listener = RelayListener.builder(cs).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs).build();
      try (RelayConnection c = sender.connect(Duration.ofSeconds(10));
          RelayConnection l = listener.accept(Duration.ofSeconds(10))) {
        OutputStream out = c.getOutputStream();
        out.write("hello".getBytes(StandardCharsets.UTF_8));
        c.shutdownOutput();
        InputStream in = l.getInputStream();
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
        l.getOutputStream().write("world".getBytes(StandardCharsets.UTF_8));
        l.shutdownOutput();
        assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("world");
      }
    }
  }
}
