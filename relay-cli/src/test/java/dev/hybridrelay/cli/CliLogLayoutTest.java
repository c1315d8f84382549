package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The hand-written layout prints what logback's PatternLayout prints for {@link CliLogConfigurator#PATTERN}. */
class CliLogLayoutTest {
  @Test
  void sameLinesAsThePattern() {
    LoggerContext ctx = new LoggerContext();
    PatternLayout pattern = new PatternLayout();
    pattern.setContext(ctx);
    pattern.setPattern(CliLogConfigurator.PATTERN);
    pattern.start();
    CliLogLayout layout = new CliLogLayout();
    layout.setContext(ctx);
    layout.start();
    long[] times = {0L, 1_700_000_000_123L, 1_700_000_000_007L, 1_700_000_059_999L, System.currentTimeMillis()};
    Level[] levels = {Level.TRACE, Level.DEBUG, Level.INFO, Level.WARN, Level.ERROR};
    Throwable failure = new IOException("disk gone", new IllegalStateException("inner"));
    for (int i = 0; i < times.length; i++) {
      for (Throwable t : new Throwable[] {null, failure}) {
        LoggingEvent e = new LoggingEvent("fqcn", ctx.getLogger(i % 2 == 0 ? "dev.hybridrelay.core.internal.ListenerImpl" : "root"),
            levels[i], "message {} of {}", t, new Object[] {i, "x"});
        e.setTimeStamp(times[i]);
        assertThat(layout.doLayout(e)).isEqualTo(pattern.doLayout(e));
      }
    }
  }
}
