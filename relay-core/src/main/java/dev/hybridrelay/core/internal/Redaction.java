package dev.hybridrelay.core.internal;

import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from text before it is logged or put into an exception message.
 *
 * <p>Every URI that reaches a log line or an exception message goes through {@link #uri(URI)}: its
 * query (which may hold {@code sb-hc-token}, or is a one-time rendezvous capability) and user info
 * are dropped. Free text goes through {@link #text(String)}, which masks {@code sig=},
 * {@code sb-hc-token=}, {@code SharedAccessKey=} and {@code SharedAccessSignature} values, bearer
 * tokens, and the query of every URL it contains.
 */
public final class Redaction {
  /** What replaces a removed secret or query. */
  public static final String MASK = "***";

  private static final Pattern URL_QUERY =
      Pattern.compile("\\b((?:wss?|https?|sb)://[^\\s?#\"'<>]*)\\?[^\\s#\"'<>]*", Pattern.CASE_INSENSITIVE);
  private static final Pattern SAS_TOKEN =
      Pattern.compile("SharedAccessSignature(\\s*=\\s*|\\s+)(?:SharedAccessSignature\\s+)?[^;\"'\\s]+",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern KEY_VALUE = Pattern.compile(
      "\\b(sig|sb-hc-token|SharedAccessKey|ServiceBusAuthorization|Authorization)(\\s*[=:]\\s*)(?:Bearer\\s+)?[^&;,\"'\\s]+",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern JWT =
      Pattern.compile("\\beyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*");

  private Redaction() {}

  /**
   * Returns {@code uri} without query, fragment and user info, e.g.
   * {@code wss://host:443/$hc/hyco?***}. Safe to log; {@code "null"} for null.
   */
  public static String uri(URI uri) {
    if (uri == null) {
      return "null";
    }
    if (uri.isOpaque() || uri.getHost() == null) {
      return text(uri.toString());
    }
    StringBuilder sb = new StringBuilder();
    if (uri.getScheme() != null) {
      sb.append(uri.getScheme()).append("://");
    }
    sb.append(uri.getHost());
    if (uri.getPort() >= 0) {
      sb.append(':').append(uri.getPort());
    }
    if (uri.getRawPath() != null) {
      sb.append(uri.getRawPath());
    }
    if (uri.getRawQuery() != null) {
      sb.append('?').append(MASK);
    }
    return sb.toString();
  }

  /** Parses {@code uri} leniently and redacts it like {@link #uri(URI)}; free text on parse failure. */
  public static String uri(String uri) {
    if (uri == null) {
      return "null";
    }
    try {
      return uri(new URI(uri));
    } catch (Exception e) {
      return text(uri);
    }
  }

  /** Masks every secret that {@code text} may contain. */
  public static String text(String text) {
    if (text == null) {
      return null;
    }
    String s = replace(URL_QUERY, text, m -> m.group(1) + "?" + MASK);
    s = replace(SAS_TOKEN, s, m -> "SharedAccessSignature" + m.group(1) + MASK);
    s = replace(KEY_VALUE, s, m -> m.group(1) + m.group(2) + MASK);
    s = replace(JWT, s, m -> MASK);
    return s;
  }

  private static String replace(Pattern p, String s, java.util.function.Function<Matcher, String> f) {
    Matcher m = p.matcher(s);
    if (!m.find()) {
      return s;
    }
    StringBuilder sb = new StringBuilder();
    do {
      m.appendReplacement(sb, Matcher.quoteReplacement(f.apply(m)));
    } while (m.find());
    m.appendTail(sb);
    return sb.toString();
  }
}
