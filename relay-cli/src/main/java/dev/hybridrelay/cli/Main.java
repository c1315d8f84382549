package dev.hybridrelay.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hybridrelay} command. */
@Command(name = "hybridrelay", mixinStandardHelpOptions = true,
    description = "Hybrid Relay for Java: tools for the Azure Relay Hybrid Connections protocol.",
    subcommands = {ForwardCommand.class, DemoCommand.class})
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
}
