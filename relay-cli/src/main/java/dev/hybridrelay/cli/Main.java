package dev.hybridrelay.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code hybridrelay} command-line tool. To add a subcommand, write a
 * {@code @Command} class and add it to {@link #SUBCOMMANDS}.
 */
@Command(name = "hybridrelay", mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Hybrid Relay for Java: tools for the Azure Relay Hybrid Connections protocol.")
public final class Main implements Runnable {

  /** The subcommands, in the order of the usage help. */
  private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

  static {
    SUBCOMMANDS.put("forward", ForwardCommand::new);
    SUBCOMMANDS.put("connect", ConnectCommand::new);
    SUBCOMMANDS.put("listen", ListenCommand::new);
    SUBCOMMANDS.put("demo", DemoCommand::new);
    SUBCOMMANDS.put("serve", ServeCommand::new);
  }

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    quietNettyDefaults();
    System.exit(commandLine(args).execute(args));
  }

  /**
   * Turns off Netty's sampling of buffer leaks for the command line's processes unless the user
   * set it ({@code -Dio.netty.leakDetection.level=simple} brings it back): it records a stack trace
   * for a sample of the relay's buffers, about 2 % of a {@code serve} process's CPU time under a
   * load of small HTTP requests (Performance page, "HTTP forwarding", fifth round). Embedded
   * relays and the tests keep Netty's default.
   */
  static void quietNettyDefaults() {
    if (System.getProperty("io.netty.leakDetection.level") == null
        && System.getProperty("io.netty.leakDetectionLevel") == null) {
      System.setProperty("io.netty.leakDetection.level", "disabled");
    }
  }

  /**
   * The command line for {@code args}. When the first argument names a subcommand, only that
   * subcommand's model is built: picocli reads every option of every registered command by
   * reflection when the {@code CommandLine} is made, a large part of a {@code forward} start
   * (Performance page, "Cold start"). Anything else ({@code --help}, {@code --version}, a
   * typo) gets all of them, so help and "did you mean" suggestions are unchanged.
   */
  static CommandLine commandLine(String[] args) {
    CommandLine cl = new CommandLine(new Main());
    Supplier<Object> only = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
    if (only != null) {
      cl.addSubcommand(only.get());
    } else {
      SUBCOMMANDS.values().forEach(s -> cl.addSubcommand(s.get()));
    }
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Version from the jar manifest, or "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"hybridrelay " + (v == null ? "development" : v)};
    }
  }
}
