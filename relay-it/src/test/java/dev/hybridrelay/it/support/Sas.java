package dev.hybridrelay.it.support;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * SAS token construction for tests, written independently of the library (protocol reference
 * §6): {@code sig = Base64(HMAC-SHA256(UTF-8(key), enc(resource) + "\n" + se))}.
 */
public final class Sas {
  private Sas() {
  }

  /** Form-style percent-encoding with upper-case hex (Java {@link URLEncoder}). */
  public static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The Base64 signature over {@code encodedResource + "\n" + se}. */
  public static String sign(String key, String encodedResource, String se) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] h = mac.doFinal((encodedResource + "\n" + se).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(h);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A well-formed token for {@code resource} valid until {@code se} (epoch seconds). */
  public static String token(String keyName, String key, String resource, long se) {
    String sr = enc(resource);
    String s = Long.toString(se);
    return "SharedAccessSignature sr=" + sr + "&sig=" + enc(sign(key, sr, s)) + "&se=" + s
        + "&skn=" + enc(keyName);
  }

  /** A token valid for one hour for {@code http://localhost/{entity}/}. */
  public static String token(String keyName, String key, String entity) {
    return token(keyName, key, "http://localhost/" + entity + "/",
        System.currentTimeMillis() / 1000 + 3600);
  }
}
