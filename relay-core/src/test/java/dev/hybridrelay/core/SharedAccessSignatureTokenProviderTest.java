package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The test vector of the protocol reference §6.5. */
class SharedAccessSignatureTokenProviderTest {
  static final String KEY_NAME = "hyco-send";
  static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  static final String RESOURCE = "http://contoso.servicebus.windows.net/hyco/";
  static final long SE = 1700000000L;
  static final String EXPECTED = "SharedAccessSignature sr=http%3A%2F%2Fcontoso.servicebus.windows.net%2Fhyco%2F"
      + "&sig=hMMUYLCqSXRKhlOOm3ZYIuDPt1reQe2N0VvUQN%2Fjc2k%3D&se=1700000000&skn=hyco-send";

  @Test
  void matchesTheTestVector() {
    assertThat(SharedAccessSignatureTokenProvider.createToken(KEY_NAME, KEY, RESOURCE, SE)).isEqualTo(EXPECTED);
  }

  @Test
  void providerUsesItsClockAndReportsTheExpiry() throws Exception {
    Clock clock = Clock.fixed(Instant.ofEpochSecond(SE - 3600), ZoneOffset.UTC);
    SecurityToken t = new SharedAccessSignatureTokenProvider(KEY_NAME, KEY, clock)
        .getToken(RESOURCE, Duration.ofHours(1));
    assertThat(t.token()).isEqualTo(EXPECTED);
    assertThat(t.expiresAt()).isEqualTo(Instant.ofEpochSecond(SE));
    assertThat(t.audience()).isEqualTo(RESOURCE);
    assertThat(t.toString()).doesNotContain("hMMUYLCq").doesNotContain("sig=");
  }

  @Test
  void theKeyTextIsUsedAsIsNotBase64Decoded() {
    String token = SharedAccessSignatureTokenProvider.createToken(KEY_NAME, KEY, RESOURCE, SE);
    // the signature that Base64-decoding the key would give (protocol reference §6.5, negative check)
    assertThat(token).doesNotContain("ft0ewcEqok8X2bD2JTXknJU");
    assertThat(token).contains("sig=hMMUYLCqSXRKhlOOm3ZYIuDPt1reQe2N0VvUQN%2Fjc2k%3D");
  }

  @Test
  void resourceIsEncodedWithUpperCaseHex() {
    String token = SharedAccessSignatureTokenProvider.createToken(KEY_NAME, KEY, RESOURCE, SE);
    assertThat(token).contains("sr=http%3A%2F%2F").doesNotContain("%3a").doesNotContain("%2f");
    // signing the lower-case form gives another signature (negative check)
    assertThat(token).doesNotContain("o/wHGiDWmtEk39qwbjnJ").doesNotContain("o%2FwHGiDWmtEk39qwbjnJ");
  }

  @Test
  void fixedTokenProviderReadsTheExpiry() throws Exception {
    SecurityToken t = TokenProvider.sharedAccessSignature(EXPECTED).getToken(RESOURCE, Duration.ofHours(1));
    assertThat(t.token()).isEqualTo(EXPECTED);
    assertThat(t.expiresAt()).isEqualTo(Instant.ofEpochSecond(SE));
  }

  @Test
  void rejectsBadKeysWithoutEchoingThem() {
    assertThatThrownBy(() -> new SharedAccessSignatureTokenProvider("", KEY)).isInstanceOf(IllegalArgumentException.class);
    String longKey = "k".repeat(257);
    assertThatThrownBy(() -> new SharedAccessSignatureTokenProvider("send", longKey))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(longKey));
    assertThat(new SharedAccessSignatureTokenProvider(KEY_NAME, KEY).toString()).doesNotContain(KEY);
  }

  @Test
  void hmacMatchesTheJceMacForKeysOfEveryBlockBoundary() throws Exception {
    java.util.Random r = new java.util.Random(17);
    for (int len : new int[] {0, 1, 32, 63, 64, 65, 128, 256}) {
      byte[] key = new byte[len];
      byte[] msg = new byte[len * 3 + 1];
      r.nextBytes(key);
      r.nextBytes(msg);
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
      byte[] expected = key.length == 0 ? mac.doFinal(msg) : mac.doFinal(msg);
      assertThat(SharedAccessSignatureTokenProvider.hmacSha256(key.length == 0 ? new byte[1] : key, msg))
          .as("key length %d", len).isEqualTo(expected);
    }
  }
}
