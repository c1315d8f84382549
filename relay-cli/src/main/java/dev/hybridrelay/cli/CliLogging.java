package dev.hybridrelay.cli;

import ch.qos.logback.classic.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets log levels for {@code --verbose}/{@code --quiet} when logback is the SLF4J backend: the
 * project's own loggers at DEBUG, INFO or WARN; everything else at INFO or WARN.
 */
final class CliLogging {
  private CliLogging() {}

  static void configure(boolean verbose, boolean quiet) {
    Level own = quiet ? Level.WARN : verbose ? Level.DEBUG : Level.INFO;
    setLevel(Logger.ROOT_LOGGER_NAME, quiet ? Level.WARN : Level.INFO);
    setLevel("hybridrelay", own);
    setLevel("dev.hybridrelay", own);
  }

  /** Sets the project's loggers to a level by name (LogLevel of the configuration file); others at most INFO. */
  static void configure(String levelName) {
    Level own = Level.toLevel(levelName, Level.INFO);
    setLevel(Logger.ROOT_LOGGER_NAME, own.isGreaterOrEqual(Level.INFO) ? own : Level.INFO);
    setLevel("hybridrelay", own);
    setLevel("dev.hybridrelay", own);
  }

  static void setLevel(String logger, Level level) {
    Logger l = LoggerFactory.getLogger(logger);
    if (l instanceof ch.qos.logback.classic.Logger) {
      ((ch.qos.logback.classic.Logger) l).setLevel(level);
    }
  }
}
