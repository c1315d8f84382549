package dev.hybridrelay.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.server.AccessRights;
import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.server.testing.SasTokens;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Static bearer tokens accepted by the local relay (a stand-in for Entra ID tokens in tests). */
class BearerTokenValidatorTest {
  static final String JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3JlbGF5LmF6dXJlLm5ldCJ9.c2ln";
  static final Set<String> HOSTS = Set.of("localhost");
  static final long NOW = 1_700_000_000L;

  private final SasTokenValidator validator = new SasTokenValidator();
  private final List<AuthRule> rules = List.of(
      new AuthRule("send", "a-key", EnumSet.of(AccessRights.SEND)),
      AuthRule.bearer(JWT, EnumSet.of(AccessRights.LISTEN)));

  private SasTokenValidator.Result check(String token, AccessRights right) {
    return validator.validate(token, HOSTS, "orders", right, rules, NOW, 0);
  }

  @Test
  void theExactTokenIsValidWithItsRightsAndNeverExpires() {
    SasTokenValidator.Result r = check(JWT, AccessRights.LISTEN);
    assertThat(r.outcome()).isEqualTo(SasTokenValidator.Outcome.VALID);
    assertThat(r.expiresAt()).isEqualTo(SasTokenValidator.NEVER);
    assertThat(check(JWT, AccessRights.SEND).outcome()).isEqualTo(SasTokenValidator.Outcome.FORBIDDEN);
  }

  @Test
  void anyOtherTextIsRefusedAsMalformedWithoutEchoingIt() {
    for (String t : List.of(JWT + "x", "Bearer " + JWT, JWT.substring(1), "eyJ.other.token")) {
      SasTokenValidator.Result r = check(t, AccessRights.LISTEN);
      assertThat(r.outcome()).as(t).isEqualTo(SasTokenValidator.Outcome.UNAUTHORIZED);
      assertThat(r.message()).isEqualTo(SasTokenValidator.MALFORMED).doesNotContain(JWT);
    }
  }

  @Test
  void sasRulesKeepWorkingAndNoSasTokenCanUseTheBearerEntry() {
    String sas = SasTokens.mint("send", "a-key", "http://localhost/orders/", NOW + 60);
    assertThat(check(sas, AccessRights.SEND).outcome()).isEqualTo(SasTokenValidator.Outcome.VALID);
    String forged = SasTokens.mint(AuthRule.BEARER_NAME, JWT, "http://localhost/orders/", NOW + 60);
    assertThat(check(forged, AccessRights.LISTEN).message()).isEqualTo(SasTokenValidator.INVALID_SIGNATURE);
  }

  @Test
  void theBuilderRefusesUnusableTokensAndKeepsThemOutOfConnectionStrings() throws Exception {
    assertThatThrownBy(() -> LocalRelayServer.builder().acceptBearerToken(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1-4096 characters");
    assertThatThrownBy(() -> LocalRelayServer.builder().acceptBearerToken("SharedAccessSignature sr=x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rule(name, key)");
    try (LocalRelayServer relay = LocalRelayServer.builder().acceptBearerToken(JWT).build()) {
      relay.start();
      assertThat(relay.connectionString()).contains("SharedAccessKeyName=" + LocalRelayServer.DEFAULT_RULE_NAME)
        .doesNotContain(JWT);
      assertThatThrownBy(() -> relay.connectionString(AuthRule.BEARER_NAME))
          .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining(JWT);
    }
  }
}
