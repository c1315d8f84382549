package dev.hybridrelay.core;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mints Shared Access Signature tokens from a rule name and key, exactly as the official SDKs do.
 *
 * <pre>
 * SharedAccessSignature sr={enc(resource)}&amp;sig={enc(base64(HMAC-SHA256(key, enc(resource) + "\n" + se)))}&amp;se={expiry}&amp;skn={enc(keyName)}
 * </pre>
 *
 * <p>The key text itself (its UTF-8 bytes) is the HMAC key; it is not Base64-decoded. The resource
 * is encoded with {@link URLEncoder} (upper-case hex), as the .NET and Java SDKs do. Thread-safe.
 */
public final class SharedAccessSignatureTokenProvider implements TokenProvider {
  private final String keyName;
  private final String key;
  private final Clock clock;

  /** Uses the system clock. */
  public SharedAccessSignatureTokenProvider(String keyName, String key) {
    this(keyName, key, Clock.systemUTC());
  }

  /** Uses {@code clock} for the expiry (a test seam). */
  public SharedAccessSignatureTokenProvider(String keyName, String key, Clock clock) {
    if (keyName == null || keyName.isEmpty() || keyName.length() > 256) {
      throw new IllegalArgumentException("The SAS key name must be 1 to 256 characters long.");
    }
    if (key == null || key.isEmpty() || key.length() > 256) {
      throw new IllegalArgumentException("The SAS key for rule '" + keyName + "' must be 1 to 256 characters long.");
    }
    this.keyName = keyName;
    this.key = key;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The rule name. */
  public String keyName() {
    return keyName;
  }

  @Override
  public SecurityToken getToken(String audience, Duration validFor) {
    Instant expiry = clock.instant().plus(validFor);
    long se = expiry.getEpochSecond();
    return new SecurityToken(createToken(keyName, key, audience, se), audience, Instant.ofEpochSecond(se));
  }

  /**
   * Computes a SAS token.
   *
   * @param resourceUri the audience, for example {@code http://contoso.servicebus.windows.net/hyco/}
   * @param expiresAtEpochSecond the {@code se} value
   */
  public static String createToken(String keyName, String key, String resourceUri, long expiresAtEpochSecond) {
    String sr = URLEncoder.encode(resourceUri, StandardCharsets.UTF_8);
    String toSign = sr + "\n" + expiresAtEpochSecond;
    String sig;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      sig = Base64.getEncoder().encodeToString(mac.doFinal(toSign.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
    return "SharedAccessSignature sr=" + sr
        + "&sig=" + URLEncoder.encode(sig, StandardCharsets.UTF_8)
        + "&se=" + expiresAtEpochSecond
        + "&skn=" + URLEncoder.encode(keyName, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "SharedAccessSignatureTokenProvider{keyName=" + keyName + "}";
  }
}
