package dev.hybridrelay.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.server.AccessRights;
import dev.hybridrelay.server.testing.SasTokens;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SasTokenValidatorTest {
  // Protocol reference §6.5 test vector.
  static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  static final String VECTOR_TOKEN = "SharedAccessSignature sr=http%3A%2F%2Fcontoso.servicebus.windows.net"
      + "%2Fhyco%2F&sig=hMMUYLCqSXRKhlOOm3ZYIuDPt1reQe2N0VvUQN%2Fjc2k%3D&se=1700000000&skn=hyco-send";
  static final long SE = 1_700_000_000L;
  static final Set<String> HOSTS = Set.of("contoso.servicebus.windows.net");

  private final SasTokenValidator validator = new SasTokenValidator();
  private final List<AuthRule> rules =
      List.of(new AuthRule("hyco-send", KEY, EnumSet.of(AccessRights.SEND)));

  private SasTokenValidator.Result check(String token, String path, AccessRights right, long now) {
    return validator.validate(token, HOSTS, path, right, rules, now, 0);
  }

  @Test
  void testVectorTokenIsValidBeforeExpiry() {
    SasTokenValidator.Result r = check(VECTOR_TOKEN, "hyco", AccessRights.SEND, SE - 10);
    assertThat(r.outcome()).isEqualTo(SasTokenValidator.Outcome.VALID);
    assertThat(r.expiresAt()).isEqualTo(SE);
  }

  @Test
  void testVectorSignatureMatchesTheDocumentedValue() {
    assertThat(SasTokens.mint("hyco-send", KEY, "http://contoso.servicebus.windows.net/hyco/", SE))
        .isEqualTo(VECTOR_TOKEN);
  }

  @Test
  void keyIsUsedAsTextNotBase64Decoded() {
    String decodedKeyToken = VECTOR_TOKEN.replace("hMMUYLCqSXRKhlOOm3ZYIuDPt1reQe2N0VvUQN%2Fjc2k%3D",
        "ft0ewcEqok8X2bD2JTXknJU%2FWsUu59EN9iulUC3AKHk%3D");
    assertThat(check(decodedKeyToken, "hyco", AccessRights.SEND, SE - 10).message())
        .isEqualTo(SasTokenValidator.INVALID_SIGNATURE);
  }

  @Test
  void signatureCoversTheRawSrBytes() {
    String lower = "http%3a%2f%2fcontoso.servicebus.windows.net%2fhyco%2f";
    // Signed over the lowercase form: valid with that sr...
    String token = "SharedAccessSignature sr=" + lower
        + "&sig=o%2FwHGiDWmtEk39qwbjnJ%2FNWMThPHaRVa5%2Br9b%2FGtBao%3D&se=1700000000&skn=hyco-send";
    assertThat(check(token, "hyco", AccessRights.SEND, SE - 10).valid()).isTrue();
    // ...but not when the sr is re-encoded in uppercase.
    String swapped = token.replace(lower, "http%3A%2F%2Fcontoso.servicebus.windows.net%2Fhyco%2F");
    assertThat(check(swapped, "hyco", AccessRights.SEND, SE - 10).valid()).isFalse();
  }

  @Test
  void expiryHonoursClockSkew() {
    // A token is good until the second before se (+ skew): at that instant the relay would also
    // close a control channel holding it, so the handshake must not accept it either.
    assertThat(check(VECTOR_TOKEN, "hyco", AccessRights.SEND, SE - 1).valid()).isTrue();
    assertThat(check(VECTOR_TOKEN, "hyco", AccessRights.SEND, SE).message())
        .isEqualTo(SasTokenValidator.EXPIRED);
    assertThat(validator.validate(VECTOR_TOKEN, HOSTS, "hyco", AccessRights.SEND, rules, SE + 299, 300)
        .valid()).isTrue();
    assertThat(validator.validate(VECTOR_TOKEN, HOSTS, "hyco", AccessRights.SEND, rules, SE + 300, 300)
        .valid()).isFalse();
    // An se far in the past must not overflow into "valid".
    String ancient = SasTokens.mint("hyco-send", KEY, "http://contoso.servicebus.windows.net/hyco/", Long.MIN_VALUE);
    assertThat(validator.validate(ancient, HOSTS, "hyco", AccessRights.SEND, rules, SE, 300).valid()).isFalse();
  }

  @Test
  void audienceIgnoresSchemeHostCasePortAndTrailingSlash() {
    for (String resource : List.of("sb://contoso.servicebus.windows.net/hyco",
        "https://CONTOSO.servicebus.windows.net:443/hyco/", "wss://contoso.servicebus.windows.net:9090/hyco",
        "http://contoso.servicebus.windows.net/", "sb://contoso.servicebus.windows.net")) {
      String token = SasTokens.mint("hyco-send", KEY, resource, SE);
      assertThat(check(token, "hyco/suffix", AccessRights.SEND, SE - 1).valid()).as(resource).isTrue();
    }
  }

  @Test
  void audienceRequiresWholeSegmentPrefixAndTheRightHost() {
    String hyco = SasTokens.mint("hyco-send", KEY, "http://contoso.servicebus.windows.net/hyco/", SE);
    assertThat(check(hyco, "hyco2", AccessRights.SEND, SE - 1).message())
        .isEqualTo(SasTokenValidator.INVALID_AUDIENCE);
    String other = SasTokens.mint("hyco-send", KEY, "http://fabrikam.servicebus.windows.net/hyco/", SE);
    assertThat(check(other, "hyco", AccessRights.SEND, SE - 1).valid()).isFalse();
    String deeper = SasTokens.mint("hyco-send", KEY, "http://contoso.servicebus.windows.net/hyco/a/", SE);
    assertThat(check(deeper, "hyco", AccessRights.SEND, SE - 1).valid()).isFalse();
    String ftp = SasTokens.mint("hyco-send", KEY, "ftp://contoso.servicebus.windows.net/hyco/", SE);
    assertThat(check(ftp, "hyco", AccessRights.SEND, SE - 1).valid()).isFalse();
  }

  @Test
  void rightsAreChecked() {
    assertThat(check(VECTOR_TOKEN, "hyco", AccessRights.LISTEN, SE - 1).outcome())
        .isEqualTo(SasTokenValidator.Outcome.FORBIDDEN);
    List<AuthRule> manage = List.of(new AuthRule("hyco-send", KEY, EnumSet.of(AccessRights.MANAGE)));
    for (AccessRights r : List.of(AccessRights.LISTEN, AccessRights.SEND)) {
      assertThat(validator.validate(VECTOR_TOKEN, HOSTS, "hyco", r, manage, SE - 1, 0).valid()).isTrue();
    }
  }

  @Test
  void everyRuleWithTheNameIsTried() {
    List<AuthRule> twoKeys = List.of(
        new AuthRule("hyco-send", "old-key", EnumSet.of(AccessRights.SEND)),
        new AuthRule("hyco-send", KEY, EnumSet.of(AccessRights.SEND)));
    assertThat(validator.validate(VECTOR_TOKEN, HOSTS, "hyco", AccessRights.SEND, twoKeys, SE - 1, 0)
        .valid()).isTrue();
  }

  @Test
  void unknownKeyNameFailsLikeABadSignature() {
    String token = SasTokens.mint("nobody", KEY, "http://contoso.servicebus.windows.net/hyco/", SE);
    assertThat(check(token, "hyco", AccessRights.SEND, SE - 1).message())
        .isEqualTo(SasTokenValidator.INVALID_SIGNATURE);
  }

  @Test
  void malformedTokensAreUnauthorized() {
    String sig = "&sig=hMMUYLCqSXRKhlOOm3ZYIuDPt1reQe2N0VvUQN%2Fjc2k%3D";
    String sr = "sr=http%3A%2F%2Fcontoso.servicebus.windows.net%2Fhyco%2F";
    List<String> bad = List.of(
        "",
        "Bearer abc",
        "SharedAccessSignature " + sr + sig + "&se=1700000000",
        "SharedAccessSignature " + sr + sig + "&se=1700000000&skn=hyco-send&skn=hyco-send",
        "SharedAccessSignature " + sr + sig + "&se=1700000000&skn=hyco-send&x=1",
        "SharedAccessSignature " + sr + sig + "&se=17e8&skn=hyco-send",
        "SharedAccessSignature " + sr + sig + "&se=18446744073709551616&skn=hyco-send",
        "SharedAccessSignature " + sr + "&sig=!!notbase64&se=1700000000&skn=hyco-send",
        "SharedAccessSignature " + sr + "&sig=hMMUYLCqSXRKhlOO&se=1700000000&skn=hyco-send",
        "SharedAccessSignature sr=http%3A%2G" + sig + "&se=1700000000&skn=hyco-send",
        "SharedAccessSignature " + sr + sig + "&se=1700000000&skn=" + "x".repeat(8192));
    for (String token : bad) {
      assertThat(check(token, "hyco", AccessRights.SEND, SE - 1).outcome())
          .as(token.length() > 80 ? token.substring(0, 80) : token)
          .isEqualTo(SasTokenValidator.Outcome.UNAUTHORIZED);
    }
    assertThat(check(null, "hyco", AccessRights.SEND, SE - 1).message())
        .isEqualTo(SasTokenValidator.MISSING);
  }

  @Test
  void messagesNeverContainTheToken() {
    String token = VECTOR_TOKEN.replace("se=1700000000", "se=1700000001");
    SasTokenValidator.Result r = check(token, "hyco", AccessRights.SEND, SE - 1);
    assertThat(r.message()).doesNotContain("hMMUYLCq").doesNotContain("sig=");
  }
}
