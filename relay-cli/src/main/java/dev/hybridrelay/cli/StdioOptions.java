package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayConnectionString;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * The options {@code connect} and {@code listen} share: the connection string (option or
 * environment), the hybrid connection and the log level.
 */
final class StdioOptions {
  @Option(names = "-x", paramLabel = "CONNECTION_STRING",
      description = "Relay connection string, or @FILE to read it from a file.")
  String connectionString;

  @Option(names = "--hc", paramLabel = "NAME",
      description = "Hybrid connection (default: the connection string's EntityPath).")
  String hybridConnection;

  @Option(names = "--entra", description = "Authenticate with Entra ID (DefaultAzureCredential: environment, "
      + "workload or managed identity, Azure CLI login); the connection string then needs no key.")
  boolean entra;

  /** Makes the Entra ID token provider (a test seam). */
  java.util.function.Supplier<dev.hybridrelay.core.TokenProvider> entraFactory = EntraAuth::defaultAzureCredential;

  @Option(names = {"-v", "--verbose"}, description = "Log debugging details on standard error.")
  boolean verbose;

  @Option(names = {"-q", "--quiet"}, description = "Log only errors.")
  boolean quiet;

  Function<String, String> environment = System::getenv;

  /** A usage or configuration error; the message says what to change. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  /**
   * Logs the project's own status lines at INFO (DEBUG with -v, errors only with -q) and the
   * libraries' at WARN (DEBUG with -v).
   */
  void configureLogging() {
    CliLogging.configure(verbose, false);
    if (!verbose) {
      CliLogging.setLevel("dev.hybridrelay", ch.qos.logback.classic.Level.WARN);
      CliLogging.setLevel("com.azure", ch.qos.logback.classic.Level.WARN);
    }
    if (quiet) {
      CliLogging.setLevel(org.slf4j.Logger.ROOT_LOGGER_NAME, ch.qos.logback.classic.Level.ERROR);
      CliLogging.setLevel("dev.hybridrelay", ch.qos.logback.classic.Level.ERROR);
      CliLogging.setLevel("hybridrelay", ch.qos.logback.classic.Level.ERROR);
    }
  }

  /**
   * With {@code --entra}, the Entra ID token provider for {@code cs} (a usage error if it also has a
   * key or signature); without it {@code null}: the connection string's credentials, or none.
   */
  dev.hybridrelay.core.TokenProvider tokenProvider(RelayConnectionString cs) throws UsageException {
    if (!entra) {
      return null;
    }
    try {
      return new EntraAuth(true, entraFactory).forHybridConnection(cs, String.valueOf(cs.entityPath()), false);
    } catch (ForwardConfigException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** The resolved connection string, with the entity path set to the hybrid connection to use. */
  RelayConnectionString resolve() throws UsageException {
    String text;
    try {
      text = SecretFiles.valueOrFile("-x", connectionString);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    String origin = connectionString != null && connectionString.startsWith("@") ? "-x " + connectionString : "-x";
    if (text == null) {
      for (String var : List.of("HYBRIDRELAY_CONNECTION_STRING", "AZURE_BRIDGE_CONNECTIONSTRING")) {
        String v = environment.apply(var);
        if (v != null && !v.isBlank()) {
          text = v;
          origin = "environment variable " + var;
          break;
        }
      }
    }
    if (text == null || text.isBlank()) {
      throw new UsageException("no connection string: give -x or set HYBRIDRELAY_CONNECTION_STRING");
    }
    RelayConnectionString cs;
    try {
      cs = RelayConnectionString.parse(text);
    } catch (IllegalArgumentException e) {
      throw new UsageException(origin + ": " + e.getMessage());
    }
    String hc = hybridConnection;
    if (hc != null && hc.isBlank()) {
      throw new UsageException("--hc: the hybrid connection name must not be empty");
    }
    if (hc != null && cs.entityPath() != null && !cs.entityPath().equalsIgnoreCase(hc)) {
      throw new UsageException("--hc " + hc + ": the connection string is for hybrid connection '" + cs.entityPath()
          + "' (EntityPath); remove EntityPath or use that name");
    }
    if (hc == null) {
      hc = cs.entityPath();
    }
    if (hc == null) {
      throw new UsageException("no hybrid connection: give --hc NAME or EntityPath=NAME in the connection string");
    }
    try {
      return cs.withEntityPath(hc);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--hc " + hc + ": " + e.getMessage());
    }
  }
}
