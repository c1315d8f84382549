package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.TokenProvider;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses each forwarder's credential as azbridge does: the connection string's shared access key
 * or signature when it has one, else Entra ID through {@code DefaultAzureCredential}; {@code --entra}
 * makes Entra ID a requirement (a key or signature is then an error). The azure-identity classes are
 * loaded only when Entra ID is actually used, so SAS users pay no start-up time for them.
 */
final class EntraAuth {
  private static final Logger log = LoggerFactory.getLogger("hybridrelay.forward");

  private final boolean required;
  private final Supplier<TokenProvider> factory;
  private TokenProvider shared;

  EntraAuth(boolean required, Supplier<TokenProvider> factory) {
    this.required = required;
    this.factory = factory;
  }

  /** The provider every forwarder without SAS credentials shares, so that one token serves them all. */
  static TokenProvider defaultAzureCredential() {
    return dev.hybridrelay.azure.identity.EntraIdTokenProvider.defaultAzureCredential();
  }

  /**
   * The token provider for hybrid connection {@code hc}, or {@code null} to use the connection
   * string's SAS credentials (or none, for an anonymous sender).
   */
  synchronized TokenProvider forHybridConnection(RelayConnectionString cs, String hc, boolean anonymousSender)
      throws ForwardConfigException {
    if (cs.hasCredentials()) {
      if (required) {
        throw new ForwardConfigException("--entra: the connection string for '" + hc + "' also has a shared access "
            + "key or signature; remove --entra to use it, or remove the key to use Entra ID");
      }
      return null;
    }
    if (anonymousSender) {
      return null;
    }
    if (shared == null) {
      shared = factory.get();
      log.info("Authenticating with Entra ID ({}) for hybrid connection '{}'{}", shared,
          hc.toLowerCase(Locale.ROOT), required ? "" : ": no shared access key or signature was given");
    }
    return shared;
  }
}
