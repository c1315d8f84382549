package dev.hybridrelay.azure.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.exception.ClientAuthenticationException;
import dev.hybridrelay.core.SecurityToken;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mockito.ArgumentCaptor;
import reactor.core.publisher.Mono;

@Timeout(60)
class EntraIdTokenProviderTest {
  static final String AUDIENCE = "http://contoso.servicebus.windows.net/orders/";
  static final String JWT_1 = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3JlbGF5LmF6dXJlLm5ldCJ9.c2lnbmF0dXJlLW9uZQ";
  static final String JWT_2 = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3JlbGF5LmF6dXJlLm5ldCJ9.c2lnbmF0dXJlLXR3bw";

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  final ManualClock clock = new ManualClock();
  final TokenCredential credential = mock(TokenCredential.class);

  AccessToken token(String jwt, Duration lifetime) {
    return new AccessToken(jwt, clock.now.plus(lifetime).atOffset(ZoneOffset.UTC));
  }

  EntraIdTokenProvider provider() {
    return EntraIdTokenProvider.builder(credential).clock(clock).build();
  }

  @Test
  void requestsTheRelayScopeAndReturnsTheBareJwtWithItsExpiry() throws Exception {
    AccessToken t = token(JWT_1, Duration.ofHours(1));
    when(credential.getToken(any())).thenReturn(Mono.just(t));

    SecurityToken st = provider().getToken(AUDIENCE, Duration.ofHours(1));

    ArgumentCaptor<TokenRequestContext> ctx = ArgumentCaptor.forClass(TokenRequestContext.class);
    verify(credential).getToken(ctx.capture());
    assertThat(ctx.getValue().getScopes()).containsExactly("https://relay.azure.net/.default");
    assertThat(st.token()).isEqualTo(JWT_1);
    assertThat(st.audience()).isEqualTo(AUDIENCE);
    assertThat(st.expiresAt()).isEqualTo(t.getExpiresAt().toInstant());
    assertThat(st.toString()).doesNotContain(JWT_1);
  }

  @Test
  void aConfiguredScopeIsRequestedInstead() throws Exception {
    when(credential.getToken(any())).thenReturn(Mono.just(token(JWT_1, Duration.ofHours(1))));
    EntraIdTokenProvider p = EntraIdTokenProvider.builder(credential).scope("https://relay.azure.net//.default")
        .clock(clock).build();
    p.getToken(AUDIENCE, Duration.ofHours(1));
    ArgumentCaptor<TokenRequestContext> ctx = ArgumentCaptor.forClass(TokenRequestContext.class);
    verify(credential).getToken(ctx.capture());
    assertThat(ctx.getValue().getScopes()).containsExactly("https://relay.azure.net//.default");
    assertThatThrownBy(() -> EntraIdTokenProvider.builder(credential).scope("relay.azure.net"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https");
  }

  @Test
  void aBearerPrefixFromTheCredentialIsRemoved() throws Exception {
    when(credential.getToken(any())).thenReturn(Mono.just(token("Bearer " + JWT_1, Duration.ofHours(1))));
    assertThat(provider().getToken(AUDIENCE, Duration.ofHours(1)).token()).isEqualTo(JWT_1);
  }

  @Test
  void oneTokenServesEveryAudienceUntilItsRefreshTime() throws Exception {
    when(credential.getToken(any()))
        .thenReturn(Mono.just(token(JWT_1, Duration.ofHours(1))))
        .thenAnswer(inv -> Mono.just(token(JWT_2, Duration.ofHours(1))));
    EntraIdTokenProvider p = provider();

    assertThat(p.getToken(AUDIENCE, Duration.ofHours(1)).token()).isEqualTo(JWT_1);
    clock.advance(Duration.ofMinutes(54)); // refresh at 55 min: 5 minutes before expiry
    assertThat(p.getToken("http://contoso.servicebus.windows.net/other/", Duration.ofHours(1)).token())
        .isEqualTo(JWT_1);
    verify(credential, times(1)).getToken(any());

    clock.advance(Duration.ofMinutes(1));
    SecurityToken renewed = p.getToken(AUDIENCE, Duration.ofHours(1));
    assertThat(renewed.token()).isEqualTo(JWT_2);
    assertThat(renewed.expiresAt()).isEqualTo(clock.now.plus(Duration.ofHours(1)));
    verify(credential, times(2)).getToken(any());
  }

  @Test
  void shortLivedTokensAreRefreshedAtHalfTheirLifetime() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    assertThat(EntraIdTokenProvider.refreshTime(t0, t0.plus(Duration.ofMinutes(4)), Duration.ofMinutes(5)))
        .isEqualTo(t0.plus(Duration.ofMinutes(2)));
    assertThat(EntraIdTokenProvider.refreshTime(t0, t0.plus(Duration.ofHours(24)), Duration.ofMinutes(5)))
        .isEqualTo(t0.plus(Duration.ofHours(24)).minus(Duration.ofMinutes(5)));
  }

  @Test
  void theCredentialsRefreshHintIsHonoured() throws Exception {
    AccessToken hinted = new AccessToken(JWT_1, clock.now.plus(Duration.ofHours(1)).atOffset(ZoneOffset.UTC),
        clock.now.plus(Duration.ofMinutes(20)).atOffset(ZoneOffset.UTC));
    when(credential.getToken(any())).thenReturn(Mono.just(hinted))
        .thenAnswer(inv -> Mono.just(token(JWT_2, Duration.ofHours(1))));
    EntraIdTokenProvider p = provider();
    p.getToken(AUDIENCE, Duration.ofHours(1));
    clock.advance(Duration.ofMinutes(19));
    assertThat(p.getToken(AUDIENCE, Duration.ofHours(1)).token()).isEqualTo(JWT_1);
    clock.advance(Duration.ofMinutes(1));
    assertThat(p.getToken(AUDIENCE, Duration.ofHours(1)).token()).isEqualTo(JWT_2);
  }

  @Test
  void concurrentCallersShareOneFetch() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    when(credential.getToken(any())).thenAnswer(inv -> Mono.fromCallable(() -> {
      calls.incrementAndGet();
      Thread.sleep(200); // keep the fetch in progress while the others arrive
      return token(JWT_1, Duration.ofHours(1));
    }));
    EntraIdTokenProvider p = provider();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<SecurityToken>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        Callable<SecurityToken> c = () -> p.getToken(AUDIENCE, Duration.ofHours(1));
        results.add(pool.submit(c));
      }
      for (Future<SecurityToken> f : results) {
        assertThat(f.get(30, TimeUnit.SECONDS).token()).isEqualTo(JWT_1);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(calls).hasValue(1);
  }

  @Test
  void aFailedRefreshKeepsTheStillValidTokenAndTriesAgainNextTime() throws Exception {
    when(credential.getToken(any()))
        .thenReturn(Mono.just(token(JWT_1, Duration.ofHours(1))))
        .thenReturn(Mono.error(new ClientAuthenticationException("AADSTS50058: silent sign-in failed", null)))
        .thenAnswer(inv -> Mono.just(token(JWT_2, Duration.ofHours(1))));
    EntraIdTokenProvider p = provider();
    p.getToken(AUDIENCE, Duration.ofHours(1));
    clock.advance(Duration.ofMinutes(56));
    assertThat(p.getToken(AUDIENCE, Duration.ofHours(1)).token()).isEqualTo(JWT_1); // refresh failed
    assertThat(p.getToken(AUDIENCE, Duration.ofHours(1)).token()).isEqualTo(JWT_2); // and is retried
    verify(credential, times(3)).getToken(any());
  }

  @Test
  void afterExpiryAFailureIsThrownWithTheReasonAndNoSecret() {
    when(credential.getToken(any()))
        .thenReturn(Mono.just(token(JWT_1, Duration.ofHours(1))))
        .thenReturn(Mono.error(new ClientAuthenticationException(
            "DefaultAzureCredential failed: EnvironmentCredential authentication unavailable; "
                + "AzureCliCredential returned access_token=" + JWT_2 + " client_secret=hunter2", null)));
    EntraIdTokenProvider p = provider();
    try {
      p.getToken(AUDIENCE, Duration.ofHours(1));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    clock.advance(Duration.ofMinutes(61));
    assertThatThrownBy(() -> p.getToken(AUDIENCE, Duration.ofHours(1)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Entra ID: no token for scope https://relay.azure.net/.default")
        .hasMessageContaining("EnvironmentCredential authentication unavailable")
        .hasMessageContaining("Azure Relay Listener/Sender role")
        .hasMessageNotContaining(JWT_2).hasMessageNotContaining(JWT_1).hasMessageNotContaining("hunter2")
        .satisfies(e -> assertThat(e.getCause()).as("a cause whose message has a secret is dropped").isNull());
  }

  @Test
  void aCleanCauseIsKept() {
    ClientAuthenticationException cause = new ClientAuthenticationException("AADSTS700016: application not found", null);
    when(credential.getToken(any())).thenReturn(Mono.error(cause));
    assertThatThrownBy(() -> provider().getToken(AUDIENCE, Duration.ofHours(1)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("ClientAuthenticationException: AADSTS700016: application not found")
        .hasCause(cause);
  }

  @Test
  void emptyOrExpiredTokensAndEmptyAnswersAreRefused() {
    when(credential.getToken(any())).thenReturn(Mono.empty());
    assertThatThrownBy(() -> provider().getToken(AUDIENCE, Duration.ofHours(1)))
        .isInstanceOf(IOException.class).hasMessageContaining("returned no token");
    when(credential.getToken(any())).thenReturn(Mono.just(token(" ", Duration.ofHours(1))));
    assertThatThrownBy(() -> provider().getToken(AUDIENCE, Duration.ofHours(1)))
        .isInstanceOf(IOException.class).hasMessageContaining("returned no token");
    when(credential.getToken(any())).thenReturn(Mono.just(token(JWT_1, Duration.ofMinutes(-1))));
    assertThatThrownBy(() -> provider().getToken(AUDIENCE, Duration.ofHours(1)))
        .isInstanceOf(IOException.class).hasMessageContaining("expired at").hasMessageNotContaining(JWT_1);
  }

  @Test
  void aCredentialThatDoesNotAnswerTimesOut() {
    when(credential.getToken(any())).thenReturn(Mono.never());
    EntraIdTokenProvider p = EntraIdTokenProvider.builder(credential).clock(clock).timeout(Duration.ofMillis(200))
        .build();
    assertThatThrownBy(() -> p.getToken(AUDIENCE, Duration.ofHours(1)))
        .isInstanceOf(IOException.class).hasMessageContaining("no answer within");
  }

  @Test
  void toStringNamesScopeAndCredentialOnly() throws Exception {
    when(credential.getToken(any())).thenReturn(Mono.just(token(JWT_1, Duration.ofHours(1))));
    EntraIdTokenProvider p = provider();
    p.getToken(AUDIENCE, Duration.ofHours(1));
    assertThat(p.toString()).contains("https://relay.azure.net/.default").doesNotContain(JWT_1);
  }

  @Test
  void redactionRemovesTokensAndSecrets() {
    assertThat(EntraIdTokenProvider.Redaction.text("got " + JWT_1 + " and Bearer abcdefghijklmnop and "
        + "{\"access_token\": \"xyz123\", \"client_secret\":\"s3cr3t\"}"))
        .doesNotContain(JWT_1).doesNotContain("abcdefghijklmnop").doesNotContain("xyz123").doesNotContain("s3cr3t");
  }
}
