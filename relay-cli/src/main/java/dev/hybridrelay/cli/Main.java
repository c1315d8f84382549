package dev.hybridrelay.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code hybridrelay} command-line tool. To add a subcommand, write a
 * {@code @Command} class and append it to {@code subcommands} below.
 */
@Command(name = "hybridrelay", mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Hybrid Relay for Java: tools for the Azure Relay Hybrid Connections protocol.",
    subcommands = {ForwardCommand.class, ConnectCommand.class, ListenCommand.class, DemoCommand.class,
        ServeCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
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
