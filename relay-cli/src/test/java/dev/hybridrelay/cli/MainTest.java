package dev.hybridrelay.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@link Main#commandLine}: only the named subcommand's model is built; help and typos see all. */
class MainTest {

  private static final List<String> ALL = List.of("forward", "connect", "listen", "demo", "serve");

  @Test
  void aNamedSubcommandIsTheOnlyOneBuilt() {
    for (String name : ALL) {
      CommandLine cl = Main.commandLine(new String[] {name, "--help"});
      assertEquals(List.of(name), List.copyOf(cl.getSubcommands().keySet()));
    }
  }

  @Test
  void helpVersionAndTyposSeeEverySubcommand() {
    for (String[] args : new String[][] {{}, {"--help"}, {"--version"}, {"forwrd"}, {"-h", "forward"}}) {
      CommandLine cl = Main.commandLine(args);
      assertEquals(ALL, List.copyOf(cl.getSubcommands().keySet()), String.join(" ", args));
    }
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(new String[] {"forwrd"});
    cl.setErr(new PrintWriter(err));
    assertEquals(2, cl.execute("forwrd"));
    assertTrue(err.toString().contains("Did you mean: hybridrelay forward?"), err.toString());
  }

  @Test
  void subcommandUsageIsUnchanged() {
    StringWriter out = new StringWriter();
    CommandLine cl = Main.commandLine(new String[] {"serve", "--help"});
    cl.setOut(new PrintWriter(out));
    assertEquals(0, cl.execute("serve", "--help"));
    assertTrue(out.toString().startsWith("Usage: hybridrelay serve"), out.toString());
  }
}
