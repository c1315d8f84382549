package dev.hybridrelay.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.SecurityToken;
import dev.hybridrelay.core.TokenProvider;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TokenCacheTest {
  static final class MutableClock extends Clock {
    Instant now = Instant.parse("2024-01-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void cachesUntilEightyPercentOfTheLifetime() throws Exception {
    MutableClock clock = new MutableClock();
    AtomicInteger calls = new AtomicInteger();
    TokenProvider p = (aud, validFor) ->
        new SecurityToken("t" + calls.incrementAndGet(), aud, clock.instant().plus(validFor));
    TokenCache cache = new TokenCache(p, "http://h/x/", Duration.ofMinutes(10), clock);
    assertThat(cache.get().token()).isEqualTo("t1");
    clock.now = clock.now.plus(Duration.ofMinutes(7)).plusSeconds(59);
    assertThat(cache.get().token()).isEqualTo("t1");
    assertThat(cache.renewalTime()).isEqualTo(Instant.parse("2024-01-01T00:08:00Z"));
    clock.now = clock.now.plusSeconds(1);
    assertThat(cache.get().token()).isEqualTo("t2");
    assertThat(cache.peek().token()).isEqualTo("t2");
    assertThat(calls).hasValue(2);
  }

  @Test
  void neverExpiringTokensAreNeverRenewedAndAnonymousHasNone() throws Exception {
    TokenCache fixed = new TokenCache(TokenProvider.sharedAccessSignature("SharedAccessSignature sr=x&sig=y&skn=z"),
        "http://h/x/", Duration.ofHours(1));
    assertThat(fixed.get()).isNotNull();
    assertThat(fixed.renewalTime()).isEqualTo(Instant.MAX);
    assertThat(new TokenCache(null, "http://h/x/", Duration.ofHours(1)).get()).isNull();
  }
}
