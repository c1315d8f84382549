package dev.hybridrelay.azure.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.atLeast;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import dev.hybridrelay.core.RelayAuthorizationException;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelayListenerEvents;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.server.AccessRights;
import dev.hybridrelay.server.LocalRelayServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

/**
 * The Entra ID provider against the local relay, which accepts configured static bearer tokens (it
 * does not validate Entra ID tokens; here only the client side is under test: scope, form of the
 * token on the wire, caching and renewal over the control channel). The credential is a mock; the
 * network path is real.
 */
@Timeout(120)
class EntraIdRelayTest {
  static final String LISTEN_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJyb2xlIjoibGlzdGVuIn0.bGlzdGVuLXNpZw";
  static final String RENEWED_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJyb2xlIjoicmVuZXdlZCJ9.cmVuZXdlZC1zaWc";
  static final String SEND_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJyb2xlIjoic2VuZCJ9.c2VuZC1zaWc";

  LocalRelayServer relay;
  RelayConnectionString cs;

  @BeforeEach
  void start() throws Exception {
    relay = LocalRelayServer.builder().hybridConnection("orders")
        .acceptBearerToken(LISTEN_JWT, AccessRights.LISTEN)
        .acceptBearerToken(RENEWED_JWT, AccessRights.LISTEN)
        .acceptBearerToken(SEND_JWT, AccessRights.SEND)
        .build();
    relay.start();
    // No SharedAccessKeyName/Key: the token provider is the only credential.
    cs = RelayConnectionString.parse("Endpoint=" + relay.endpoint()
        + ";EntityPath=orders;UseDevelopmentEmulator=true;Authentication=Managed Identity");
  }

  @AfterEach
  void stop() {
    relay.close();
  }

  static TokenCredential credentialReturning(String jwt, Duration lifetime) {
    TokenCredential c = mock(TokenCredential.class);
    when(c.getToken(any())).thenAnswer(inv -> Mono.just(new AccessToken(jwt, OffsetDateTime.now().plus(lifetime))));
    return c;
  }

  @Test
  void listenerAndSenderWithEntraTokensRelayBytes() throws Exception {
    EntraIdTokenProvider listen = EntraIdTokenProvider.create(credentialReturning(LISTEN_JWT, Duration.ofHours(1)));
    EntraIdTokenProvider send = EntraIdTokenProvider.create(credentialReturning(SEND_JWT, Duration.ofHours(1)));
    try (RelayListener listener = RelayListener.builder(cs).tokenProvider(listen).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs).tokenProvider(send).build();
      try (RelayConnection c = sender.connect(Duration.ofSeconds(30));
          RelayConnection l = listener.accept(Duration.ofSeconds(30))) {
        c.getOutputStream().write("order 42".getBytes(StandardCharsets.UTF_8));
        c.shutdownOutput();
        assertThat(new String(l.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("order 42");
        l.getOutputStream().write("accepted".getBytes(StandardCharsets.UTF_8));
        l.shutdownOutput();
        assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("accepted");
      }
    }
  }

  @Test
  void aTokenWithoutTheRightIsRefusedAndTheMessageHoldsNoToken() throws Exception {
    EntraIdTokenProvider listen = EntraIdTokenProvider.create(credentialReturning(LISTEN_JWT, Duration.ofHours(1)));
    try (RelayListener listener = RelayListener.builder(cs).tokenProvider(listen).build()) {
      listener.open();
      // The listener's token has no Send right: 403, as the service answers a missing role.
      RelaySender wrongRole = RelaySender.builder(cs).tokenProvider(listen).build();
      assertThatThrownBy(() -> wrongRole.connect(Duration.ofSeconds(30)))
          .isInstanceOf(RelayAuthorizationException.class)
          .hasMessageContaining("403")
          .hasMessageNotContaining(LISTEN_JWT);
      // A token the relay does not know: 401.
      String unknown = "eyJhbGciOiJSUzI1NiJ9.eyJyb2xlIjoibm9uZSJ9.bm9uZS1zaWc";
      RelaySender stranger = RelaySender.builder(cs)
          .tokenProvider(EntraIdTokenProvider.create(credentialReturning(unknown, Duration.ofHours(1)))).build();
      assertThatThrownBy(() -> stranger.connect(Duration.ofSeconds(30)))
          .isInstanceOf(RelayAuthorizationException.class)
          .hasMessageContaining("401")
          .hasMessageNotContaining(unknown);
    }
  }

  @Test
  void aListenerRenewsItsEntraTokenOverTheControlChannelAndStaysOnline() throws Exception {
    // Tokens live 6 s: the provider refreshes after half of that and the listener renews at 80 %.
    AtomicInteger fetches = new AtomicInteger();
    TokenCredential c = mock(TokenCredential.class);
    when(c.getToken(any())).thenAnswer(inv -> Mono.just(new AccessToken(
        fetches.incrementAndGet() == 1 ? LISTEN_JWT : RENEWED_JWT, OffsetDateTime.now().plusSeconds(6))));
    AtomicInteger offline = new AtomicInteger();
    EntraIdTokenProvider provider = EntraIdTokenProvider.create(c);
    try (RelayListener listener = RelayListener.builder(cs).tokenProvider(provider)
        .events(new RelayListenerEvents() {
          @Override
          public void onOffline(Throwable cause) {
            offline.incrementAndGet();
          }
        }).build()) {
      listener.open();
      await().atMost(Duration.ofSeconds(60)).until(() -> fetches.get() >= 3);
      verify(c, atLeast(3)).getToken(any());
      assertThat(listener.isOnline()).isTrue();
      assertThat(offline).as("renewals were accepted; the control channel was never closed").hasValue(0);
      RelaySender sender = RelaySender.builder(cs)
          .tokenProvider(EntraIdTokenProvider.create(credentialReturning(SEND_JWT, Duration.ofHours(1)))).build();
      try (RelayConnection s = sender.connect(Duration.ofSeconds(30));
          RelayConnection l = listener.accept(Duration.ofSeconds(30))) {
        s.getOutputStream().write(1);
        s.shutdownOutput();
        assertThat(l.getInputStream().readAllBytes()).containsExactly(1);
      }
    }
  }

  @Test
  void aRenewedTokenTheRelayDoesNotAcceptClosesTheControlChannel() throws Exception {
    // The counterpart of the test above: renewals really reach the relay and are checked there.
    AtomicInteger fetches = new AtomicInteger();
    TokenCredential c = mock(TokenCredential.class);
    String unknown = "eyJhbGciOiJSUzI1NiJ9.eyJyb2xlIjoibm9uZSJ9.bm9uZS1zaWc";
    when(c.getToken(any())).thenAnswer(inv -> Mono.just(new AccessToken(
        fetches.incrementAndGet() == 1 ? LISTEN_JWT : unknown, OffsetDateTime.now().plusSeconds(6))));
    AtomicInteger offline = new AtomicInteger();
    try (RelayListener listener = RelayListener.builder(cs).tokenProvider(EntraIdTokenProvider.create(c))
        .events(new RelayListenerEvents() {
          @Override
          public void onOffline(Throwable cause) {
            offline.incrementAndGet();
          }

          @Override
          public void onConnecting(Throwable cause) {
            if (cause != null) {
              offline.incrementAndGet();
            }
          }
        }).build()) {
      listener.open();
      await().atMost(Duration.ofSeconds(60)).until(() -> offline.get() > 0);
      assertThat(fetches.get()).isGreaterThanOrEqualTo(2);
    }
  }
}
