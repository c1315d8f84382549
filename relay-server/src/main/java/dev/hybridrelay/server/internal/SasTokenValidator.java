package dev.hybridrelay.server.internal;

import dev.hybridrelay.server.AccessRights;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Validates Shared Access Signature tokens the way the relay service does (protocol reference
 * §6.3, reliability anchors §4.1 rules 1–8).
 *
 * <ol>
 *   <li>Strict parsing: {@code SharedAccessSignature } prefix (case-insensitive), exactly one each
 *       of {@code sr}, {@code sig}, {@code se}, {@code skn}, no other field, valid percent-escapes,
 *       numeric 64-bit {@code se}, Base64 {@code sig} of 32 bytes, total length ≤ 4 KiB.</li>
 *   <li>Every rule named {@code skn} (namespace and hybrid-connection level) is tried; an unknown
 *       name fails exactly like a bad signature.</li>
 *   <li>HMAC-SHA256 over the <em>received</em> {@code sr} text + LF + {@code se}, keyed with the
 *       UTF-8 bytes of the key string; decoded MACs compared with {@link MessageDigest#isEqual}.</li>
 *   <li>Expiry: refused once {@code now >= se + skew}, the instant the relay would also close a control channel holding it.</li>
 *   <li>Audience: decoded {@code sr}; scheme (http, https, sb, ws, wss) and port ignored; host
 *       compared case-insensitively with the relay's host names; its path (trailing slash ignored)
 *       must be empty or a whole-segment prefix of the target path.</li>
 *   <li>Rights: a signature-matching rule must grant the required right (MANAGE implies both).</li>
 * </ol>
 *
 * <p>A token without the SAS prefix is compared (in constant time) with the static
 * {@linkplain AuthRule#bearer bearer tokens} among the rules, if any; a match is valid with that
 * entry's rights and never expires. Such tokens stand in for Entra ID tokens in tests: nothing in
 * them is parsed or verified.
 *
 * <p>Failure messages are generic and never contain the token or any part of it. Thread-safe.
 */
public final class SasTokenValidator {
  static final int MAX_TOKEN_LENGTH = 4096;
  private static final String PREFIX = "SharedAccessSignature ";
  private static final Set<String> SCHEMES = Set.of("http", "https", "sb", "ws", "wss");

  /** Outcome of a validation. */
  public enum Outcome {
    VALID,
    /** HTTP 401: missing, malformed, bad signature, expired, wrong audience. */
    UNAUTHORIZED,
    /** HTTP 403: valid token without the required right. */
    FORBIDDEN
  }

  /** Validation result; {@code expiresAt} is {@code se} (epoch seconds) when valid. */
  public record Result(Outcome outcome, String message, long expiresAt) {
    public boolean valid() {
      return outcome == Outcome.VALID;
    }

    static Result unauthorized(String message) {
      return new Result(Outcome.UNAUTHORIZED, message, 0);
    }
  }

  static final String MISSING = "MissingToken: The authorization token was not provided.";
  static final String MALFORMED = "MalformedToken: The authorization token is malformed.";
  static final String INVALID_SIGNATURE = "InvalidSignature: The token has an invalid signature.";
  static final String EXPIRED = "ExpiredToken: The token is expired.";
  static final String INVALID_AUDIENCE =
      "InvalidAudience: The token audience is not valid for this endpoint.";

  /**
   * Validates {@code token} for an operation on {@code targetPath}.
   *
   * @param token the raw token text (already URL-decoded if it came from {@code sb-hc-token})
   * @param hosts host names this relay answers to (case-insensitive)
   * @param targetPath hybrid connection path, plus suffix for senders, without leading slash
   * @param required right needed by the operation
   * @param rules candidate rules (namespace + hybrid connection level)
   * @param nowEpochSeconds current time
   * @param skewSeconds tolerated clock skew after {@code se}
   */
  public Result validate(
      String token,
      Collection<String> hosts,
      String targetPath,
      AccessRights required,
      List<AuthRule> rules,
      long nowEpochSeconds,
      long skewSeconds) {
    if (token == null || token.isBlank()) {
      return Result.unauthorized(MISSING);
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      return Result.unauthorized(MALFORMED);
    }
    if (!token.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return bearer(token, required, rules);
    }
    Map<String, String> fields = new HashMap<>();
    for (String part : token.substring(PREFIX.length()).split("&", -1)) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        return Result.unauthorized(MALFORMED);
      }
      String name = part.substring(0, eq);
      if (!(name.equals("sr") || name.equals("sig") || name.equals("se") || name.equals("skn"))
          || fields.put(name, part.substring(eq + 1)) != null) {
        return Result.unauthorized(MALFORMED);
      }
    }
    if (fields.size() != 4) {
      return Result.unauthorized(MALFORMED);
    }
    String rawSr = fields.get("sr");
    String rawSe = fields.get("se");
    long se;
    byte[] sig;
    String skn;
    String sr;
    try {
      if (rawSe.isEmpty() || rawSe.length() > 19 || !rawSe.chars().allMatch(Character::isDigit)) {
        return Result.unauthorized(MALFORMED);
      }
      se = Long.parseLong(rawSe);
      sig = Base64.getDecoder().decode(PercentCodec.decode(fields.get("sig"), false));
      skn = PercentCodec.decode(fields.get("skn"), false);
      sr = PercentCodec.decode(rawSr, false);
    } catch (IllegalArgumentException e) { // includes NumberFormatException
      return Result.unauthorized(MALFORMED);
    }
    if (sig.length != 32 || rawSr.isEmpty() || skn.isEmpty()) {
      return Result.unauthorized(MALFORMED);
    }

    byte[] stringToSign = (rawSr + "\n" + rawSe).getBytes(StandardCharsets.UTF_8);
    List<AuthRule> matching = new ArrayList<>(2);
    for (AuthRule rule : rules) {
      if (!rule.isBearer() && rule.name().equals(skn)) {
        // Every rule with that name is checked, without early exit.
        if (MessageDigest.isEqual(hmac(rule.key(), stringToSign), sig)) {
          matching.add(rule);
        }
      }
    }
    if (matching.isEmpty()) {
      return Result.unauthorized(INVALID_SIGNATURE);
    }
    if (se <= nowEpochSeconds - skewSeconds) {
      return Result.unauthorized(EXPIRED);
    }
    if (!audienceMatches(sr, hosts, targetPath)) {
      return Result.unauthorized(INVALID_AUDIENCE);
    }
    for (AuthRule rule : matching) {
      if (rule.allows(required)) {
        return new Result(Outcome.VALID, "", se);
      }
    }
    return new Result(
        Outcome.FORBIDDEN,
        "Unauthorized access. '" + claim(required)
            + "' claim(s) are required to perform this operation.",
        0);
  }

  /** Far enough in the future to mean "never", small enough for millisecond arithmetic. */
  static final long NEVER = 253_402_300_799L; // 9999-12-31T23:59:59Z

  private static Result bearer(String token, AccessRights required, List<AuthRule> rules) {
    byte[] given = token.getBytes(StandardCharsets.UTF_8);
    AuthRule match = null;
    for (AuthRule rule : rules) {
      if (rule.isBearer() && MessageDigest.isEqual(rule.key().getBytes(StandardCharsets.UTF_8), given)) {
        match = rule;
      }
    }
    if (match == null) {
      return Result.unauthorized(MALFORMED);
    }
    if (!match.allows(required)) {
      return new Result(Outcome.FORBIDDEN,
          "Unauthorized access. '" + claim(required) + "' claim(s) are required to perform this operation.", 0);
    }
    return new Result(Outcome.VALID, "", NEVER);
  }

  private static String claim(AccessRights r) {
    return r == AccessRights.LISTEN ? "Listen" : r == AccessRights.SEND ? "Send" : "Manage";
  }

  static boolean audienceMatches(String sr, Collection<String> hosts, String targetPath) {
    URI uri;
    try {
      uri = new URI(sr);
    } catch (URISyntaxException e) {
      return false;
    }
    if (uri.getScheme() == null
        || !SCHEMES.contains(uri.getScheme().toLowerCase(Locale.ROOT))
        || uri.getHost() == null) {
      return false;
    }
    boolean hostOk = false;
    for (String h : hosts) {
      if (stripBrackets(h).equalsIgnoreCase(stripBrackets(uri.getHost()))) {
        hostOk = true;
        break;
      }
    }
    if (!hostOk) {
      return false;
    }
    String[] tokenSegments = segments(uri.getPath());
    String[] targetSegments = segments(targetPath);
    if (tokenSegments.length > targetSegments.length) {
      return false;
    }
    for (int i = 0; i < tokenSegments.length; i++) {
      if (!tokenSegments[i].equalsIgnoreCase(targetSegments[i])) {
        return false;
      }
    }
    return true;
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  private static String[] segments(String path) {
    if (path == null) {
      return new String[0];
    }
    String p = path;
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.isEmpty() ? new String[0] : p.split("/", -1);
  }

  static byte[] hmac(String key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(data);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
