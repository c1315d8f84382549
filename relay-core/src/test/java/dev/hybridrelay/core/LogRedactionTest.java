package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.hybridrelay.server.LocalRelayExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** With DEBUG logging, no key, signature, token or URL query reaches a log line or exception message. */
@Timeout(60)
class LogRedactionTest {
  static final String CANARY_KEY = "Q0FOQVJZLWtleS1DQU5BUlkta2V5LUNBTkFSWS1rZXk=";

  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.builder().rule("root", CANARY_KEY).build();

  @Test
  void nothingSecretIsLogged() throws Exception {
    Logger core = (Logger) LoggerFactory.getLogger("dev.hybridrelay.core");
    Level old = core.getLevel();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    core.addAppender(appender);
    core.setLevel(Level.DEBUG);
    List<String> texts = new ArrayList<>();
    try {
      String cs = relay.connectionString("canary");
      try (RelayListener listener = RelayListener.builder(cs)
          .acceptHandler(r -> !r.queryParameters().containsKey("reject")).build()) {
        listener.open();
        RelaySender sender = RelaySender.builder(cs).queryParameter("secretish", "q").build();
        try (RelayConnection s = sender.connect(); RelayConnection l = listener.accept(Duration.ofSeconds(5))) {
          s.getOutputStream().write(1);
          assertThat(l.getInputStream().read()).isEqualTo(1);
        }
        RelaySender rejected = RelaySender.builder(cs).queryParameter("reject", "1").build();
        assertThatThrownBy(rejected::connect).satisfies(e -> texts.add(String.valueOf(e)));
        String wrong = cs.replace(CANARY_KEY, "V1JPTkctd3Jvbmcta2V5LVdST05HLXdyb25nLWtleQ==");
        assertThatThrownBy(() -> RelaySender.builder(wrong).build().connect()).satisfies(e -> texts.add(String.valueOf(e)));
      }
    } finally {
      core.detachAppender(appender);
      core.setLevel(old);
    }
    for (ILoggingEvent e : appender.list) {
      texts.add(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        texts.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
    }
    assertThat(appender.list).isNotEmpty();
    assertThat(texts).allSatisfy(t -> assertThat(t)
        .doesNotContain(CANARY_KEY)
        .doesNotContain("sig=")
        .doesNotContain("SharedAccessSignature sr")
        .doesNotContain("sb-hc-id=")
        .doesNotContain("sb-hc-action=")
        .doesNotContain("secretish"));
  }
}
