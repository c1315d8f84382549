package dev.hybridrelay.server.internal;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Tracking ids and reason phrases in the service's shape:
 * {@code {message} TrackingId:{id}, SystemTracker:sb://{host}/{hc}, Timestamp:{utc}}.
 */
final class RelayErrors {
  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private final String host;
  private final int gateway = ThreadLocalRandom.current().nextInt(1, 64);

  RelayErrors(String host) {
    this.host = host;
  }

  /** {@code {sb-hc-id or a new GUID}_G{n}}; an unusable client id is replaced by a GUID. */
  String trackingId(String clientId) {
    String id = clientId != null && CLIENT_ID.matcher(clientId).matches()
        ? clientId
        : randomId();
    return id + "_G" + gateway;
  }

  /**
   * A version-4 UUID from {@link java.util.concurrent.ThreadLocalRandom}: tracking ids only have to
   * be unique, not unguessable, and {@link UUID#randomUUID()} draws from the shared
   * {@code SecureRandom} on every request (2 % of the relay's CPU time under small HTTP requests).
   */
  static String randomId() {
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    long hi = (r.nextLong() & 0xffffffffffff0fffL) | 0x0000000000004000L;
    long lo = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
    return new UUID(hi, lo).toString();
  }

  String reason(String message, String trackingId, String hcName) {
    String tracker = "sb://" + host + "/" + (hcName == null ? "" : hcName);
    return sanitize(message + " TrackingId:" + trackingId + ", SystemTracker:" + tracker
        + ", Timestamp:" + Instant.now().truncatedTo(ChronoUnit.MILLIS));
  }

  /** Makes text safe for an HTTP reason phrase: printable ASCII only, CR/LF and controls to space. */
  static String sanitize(String text) {
    StringBuilder sb = new StringBuilder(text.length());
    for (int i = 0; i < text.length() && sb.length() < 1024; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        sb.append(' ');
      } else if (c > 0x7E) {
        sb.append('?');
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
