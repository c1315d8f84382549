package dev.hybridrelay.server.testing;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Mints SAS tokens exactly as protocol reference §6.1–6.2 describes (the NET SDK's way). */
public final class SasTokens {
  private SasTokens() {}

  /** Token for {@code resourceUri}, valid until {@code expiresAtEpochSeconds}. */
  public static String mint(String keyName, String key, String resourceUri, long expiresAtEpochSeconds) {
    String sr = URLEncoder.encode(resourceUri, StandardCharsets.UTF_8);
    return mintRawSr(keyName, key, sr, expiresAtEpochSeconds);
  }

  /** Token whose {@code sr} is used verbatim (already encoded). */
  public static String mintRawSr(String keyName, String key, String sr, long expiresAtEpochSeconds) {
    String toSign = sr + "\n" + expiresAtEpochSeconds;
    String sig = Base64.getEncoder().encodeToString(hmac(key, toSign));
    return "SharedAccessSignature sr=" + sr
        + "&sig=" + URLEncoder.encode(sig, StandardCharsets.UTF_8)
        + "&se=" + expiresAtEpochSeconds
        + "&skn=" + URLEncoder.encode(keyName, StandardCharsets.UTF_8);
  }

  /** Token for {@code http://{host}/{path}/} valid for {@code ttlSeconds} from now. */
  public static String forPath(String keyName, String key, String host, String path, long ttlSeconds) {
    return mint(keyName, key, "http://" + host + "/" + path + "/",
        System.currentTimeMillis() / 1000 + ttlSeconds);
  }

  static byte[] hmac(String key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
