package dev.hybridrelay.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The tool's logging set up in code (found by logback's service loader): the same result as
 * {@code logback.xml} (INFO to stderr, {@code io.netty} at WARN, one line per event with a
 * millisecond time stamp) without logback's XML configuration machinery, which cost about a fifth of
 * a {@code forward}'s start-up (the XML parser and some 350 configuration classes, see the
 * Performance page, "Cold start").
 *
 * <p>Steps aside, so that the user's file or the tests' file applies, when
 * {@code -Dlogback.configurationFile} is set or a {@code logback-test.xml} is on the class path.
 */
public final class CliLogConfigurator extends ContextAwareBase implements Configurator {
  /** Pattern of every log line ({@link CliLogLayout} writes it); the harness and users parse the leading time stamp. */
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

  /** Called by logback's service loader. */
  public CliLogConfigurator() {}

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null
        || CliLogConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    CliLogLayout layout = new CliLogLayout();
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(stderr);
    context.getLogger("io.netty").setLevel(Level.WARN);
    // Entra ID: azure-core-http-netty's notice that the project's Netty 4.2 differs from the 4.1 it was
    // built with (the combination is tested), and MSAL's per-request chatter.
    context.getLogger("com.azure.core.http.netty").setLevel(Level.WARN);
    context.getLogger("com.microsoft.aad.msal4j").setLevel(Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
