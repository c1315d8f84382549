package dev.hybridrelay.core;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Supplies the security tokens that authorize a listener or a sender with the relay.
 *
 * <p>The library calls {@link #getToken} when it opens a control channel or a sender connection,
 * and again before a listener's token expires (it then sends the new token over the control
 * channel). Results are cached by the caller until shortly before {@link SecurityToken#expiresAt()},
 * so implementations need not cache. Implementations must be thread-safe and should not block for
 * long: they are called from the library's connect and renewal threads.
 *
 * <p>Built-in providers: {@link SharedAccessSignatureTokenProvider} (a SAS rule name and key) and
 * {@link #sharedAccessSignature(String)} (a fixed, pre-issued SAS token). Entra ID tokens work through
 * any provider that returns the raw JWT (no {@code Bearer} prefix) for scope
 * {@code https://relay.azure.net/.default}, such as {@code EntraIdTokenProvider} of the
 * relay-azure-identity module over azure-identity's {@code TokenCredential}; see the site's
 * "Authentication" page.
 */
@FunctionalInterface
public interface TokenProvider {
  /**
   * Returns a token for {@code audience}.
   *
   * @param audience the resource URI the token must cover, of the form
   *     {@code http://host/hybrid-connection/}
   * @param validFor how long the caller would like the token to stay valid
   * @throws IOException if no token can be obtained; the message must not contain secrets
   */
  SecurityToken getToken(String audience, Duration validFor) throws IOException;

  /**
   * A provider that always returns the same pre-issued SAS token (for example from a connection
   * string's {@code SharedAccessSignature}). Such a token cannot be renewed: a listener using it goes
   * offline when it expires.
   */
  static TokenProvider sharedAccessSignature(String token) {
    Objects.requireNonNull(token, "token");
    Instant expiry = SecurityToken.parseSasExpiry(token);
    return (audience, validFor) -> new SecurityToken(token, audience, expiry);
  }
}
