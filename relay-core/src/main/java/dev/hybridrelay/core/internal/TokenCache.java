package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.SecurityToken;
import dev.hybridrelay.core.TokenProvider;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Caches one audience's token and renews it at 80 % of its lifetime. Thread-safe. A null provider
 * (anonymous sender) yields null tokens.
 */
public final class TokenCache {
  /** Renew once this share of a token's lifetime has passed. */
  public static final double RENEW_AT = 0.8;

  private final TokenProvider provider;
  private final String audience;
  private final Duration validity;
  private final Clock clock;
  private SecurityToken token;
  private Instant obtainedAt;

  public TokenCache(TokenProvider provider, String audience, Duration validity) {
    this(provider, audience, validity, Clock.systemUTC());
  }

  TokenCache(TokenProvider provider, String audience, Duration validity, Clock clock) {
    this.provider = provider;
    this.audience = audience;
    this.validity = validity;
    this.clock = clock;
  }

  /** A valid token, from the cache unless it reached its renewal time; null when anonymous. */
  public synchronized SecurityToken get() throws IOException {
    if (provider == null) {
      return null;
    }
    if (token == null || !clock.instant().isBefore(renewalTime())) {
      refresh();
    }
    return token;
  }

  /** The cached token without renewing it; null if none yet. */
  public synchronized SecurityToken peek() {
    return token;
  }

  /** Obtains a new token from the provider, whatever the cache holds. */
  public synchronized SecurityToken refresh() throws IOException {
    if (provider == null) {
      return null;
    }
    SecurityToken t;
    try {
      t = provider.getToken(audience, validity);
    } catch (IOException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IOException("The token provider failed: " + Redaction.text(String.valueOf(e.getMessage())), e);
    }
    if (t == null) {
      throw new IOException("The token provider returned no token for " + audience);
    }
    token = t;
    obtainedAt = clock.instant();
    return t;
  }

  /** When the cached token should be replaced; {@link Instant#MAX} if it never expires. */
  public synchronized Instant renewalTime() {
    if (token == null) {
      return clock.instant();
    }
    return renewalTime(obtainedAt, token.expiresAt());
  }

  /** 80 % of the way from {@code obtained} to {@code expires}; {@link Instant#MAX} for no expiry. */
  static Instant renewalTime(Instant obtained, Instant expires) {
    if (expires.equals(Instant.MAX)) {
      return Instant.MAX;
    }
    long life = Duration.between(obtained, expires).toMillis();
    if (life <= 0) {
      return obtained;
    }
    return obtained.plusMillis((long) (life * RENEW_AT));
  }

  /** The clock used for renewal decisions. */
  public Clock clock() {
    return clock;
  }
}
