package dev.hybridrelay.benchmarks.e2e;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayHttpSender;

/**
 * The URL and the {@code ServiceBusAuthorization} token of a hybrid connection's HTTP endpoint, for
 * stock HTTP load tools ({@code ab}, {@code curl}) in e2e.sh's HTTP section.
 *
 * <p>{@code java -cp benchmarks.jar dev.hybridrelay.benchmarks.e2e.HttpToken CS HC}; prints
 * {@code URL=http://host:port/hc} and {@code TOKEN=SharedAccessSignature …} (valid one hour).
 */
public final class HttpToken {
  private HttpToken() {}

  public static void main(String[] args) throws Exception {
    RelayHttpSender sender = RelayHttpSender.create(RelayConnectionString.parse(args[0]).withEntityPath(args[1]));
    System.out.println("URL=" + sender.uri());
    System.out.println("TOKEN=" + sender.token());
  }
}
