package dev.hybridrelay.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.util.TimeZone;

/**
 * The CLI's log line, {@code HH:mm:ss.SSS LEVEL logger - message} and the stack trace of a throwable
 * on the lines after it: the output of the pattern {@link CliLogConfigurator#PATTERN}, written by hand.
 *
 * <p>logback's {@code PatternLayout} compiles its pattern at start (about 100 classes, 70 of them
 * generated lambdas, and the date-format machinery); this layout loads none of them (Performance page,
 * "Cold start"). Time stamps are in the JVM's default time zone, like {@code %d}. Thread-safe (no
 * state besides the zone, read per line).
 */
final class CliLogLayout extends LayoutBase<ILoggingEvent> {
  @Override
  public String doLayout(ILoggingEvent event) {
    long ms = event.getTimeStamp();
    long local = ms + TimeZone.getDefault().getOffset(ms);
    int ofDay = (int) Math.floorMod(local, 86_400_000L);
    StringBuilder b = new StringBuilder(128);
    two(b, ofDay / 3_600_000).append(':');
    two(b, ofDay / 60_000 % 60).append(':');
    two(b, ofDay / 1000 % 60).append('.');
    int milli = ofDay % 1000;
    if (milli < 100) {
      b.append('0');
    }
    two(b, milli).append(' ');
    String level = event.getLevel().toString();
    b.append(level);
    for (int i = level.length(); i < 5; i++) {
      b.append(' ');
    }
    String logger = event.getLoggerName();
    b.append(' ').append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(" - ");
    b.append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
    IThrowableProxy t = event.getThrowableProxy();
    if (t != null) {
      b.append(ThrowableProxyUtil.asString(t));
    }
    return b.toString();
  }

  private static StringBuilder two(StringBuilder b, int v) {
    if (v < 10) {
      b.append('0');
    }
    return b.append(v);
  }
}
