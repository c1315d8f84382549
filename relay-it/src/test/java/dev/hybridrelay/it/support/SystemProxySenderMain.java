package dev.hybridrelay.it.support;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelaySender;
import java.time.Duration;

/**
 * A sender with the builder's defaults (so the JDK's proxy properties of this JVM decide): connects
 * to {@code args[0]}, echoes 1 MiB and prints {@code ECHO OK} or {@code ECHO FAIL …}.
 */
public final class SystemProxySenderMain {
  private SystemProxySenderMain() {
  }

  public static void main(String[] args) {
    try (RelayConnection c = RelaySender.builder(args[0]).build().connect(Duration.ofSeconds(60))) {
      System.out.println(Transfers.echo(c, 9, 1 << 20, 120).intact() ? "ECHO OK" : "ECHO FAIL mismatch");
    } catch (Exception e) {
      System.out.println("ECHO FAIL " + e);
    }
    System.exit(0);
  }
}
