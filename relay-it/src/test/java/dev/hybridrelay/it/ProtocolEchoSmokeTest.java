package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.it.support.ProtocolListener;
import dev.hybridrelay.it.support.ProtocolSender;
import dev.hybridrelay.it.support.RelayFixture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The wire-level harness (used by S1, S8, F8, S12) relays text and binary messages with type. */
@Timeout(30)
class ProtocolEchoSmokeTest {

  @Test
  void textAndBinaryMessagesAreEchoedWithTheirType() throws Exception {
    try (RelayFixture relay = RelayFixture.start();
        ProtocolListener echo = new ProtocolListener(relay.listenUri("echo"),
            ProtocolListener.Mode.ECHO)) {
      relay.awaitListeners("echo", 1, Duration.ofSeconds(5));
      ProtocolSender s = new ProtocolSender(relay.senderUri("echo"));
      assertThat(s.connectBlocking(10, TimeUnit.SECONDS)).as(String.valueOf(s.closeReason()))
          .isTrue();
      s.send("hello");
      s.send(new byte[] {1, 2, 3});
      assertThat(s.messages().poll(5, TimeUnit.SECONDS)).isEqualTo("hello");
      assertThat((byte[]) s.messages().poll(5, TimeUnit.SECONDS)).containsExactly(1, 2, 3);
      s.closeBlocking();
      assertThat(s.closed().get(5, TimeUnit.SECONDS)).isEqualTo(1000);
    }
  }
}
