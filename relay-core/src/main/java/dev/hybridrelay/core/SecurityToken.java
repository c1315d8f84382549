package dev.hybridrelay.core;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

/**
 * A token as sent to the relay, with the audience it was issued for and its expiry.
 *
 * <p>{@link #toString()} never shows the token text. Immutable and thread-safe.
 */
public final class SecurityToken {
  private final String token;
  private final String audience;
  private final Instant expiresAt;

  /**
   * @param token the raw token text (for SAS, {@code SharedAccessSignature sr=...&sig=...&se=...&skn=...})
   * @param audience the resource URI it covers
   * @param expiresAt when it stops being valid; {@link Instant#MAX} if unknown
   */
  public SecurityToken(String token, String audience, Instant expiresAt) {
    this.token = Objects.requireNonNull(token, "token");
    this.audience = audience;
    this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** The raw token text, as it goes into the {@code ServiceBusAuthorization} header. Never log it. */
  public String token() {
    return token;
  }

  /** The resource URI the token was issued for. */
  public String audience() {
    return audience;
  }

  /** When the token stops being valid. */
  public Instant expiresAt() {
    return expiresAt;
  }

  @Override
  public String toString() {
    return "SecurityToken{audience=" + audience + ", expiresAt=" + expiresAt + ", token=***}";
  }

  /** Reads the {@code se} field of a SAS token; {@link Instant#MAX} if it has none. */
  static Instant parseSasExpiry(String token) {
    String body = token.startsWith("SharedAccessSignature ") ? token.substring("SharedAccessSignature ".length()) : token;
    for (String field : body.split("&")) {
      int eq = field.indexOf('=');
      if (eq > 0 && field.substring(0, eq).trim().equals("se")) {
        try {
          return Instant.ofEpochSecond(Long.parseLong(URLDecoder.decode(field.substring(eq + 1), StandardCharsets.UTF_8).trim()));
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("The shared access signature has a non-numeric expiry (se).");
        }
      }
    }
    return Instant.MAX;
  }
}
