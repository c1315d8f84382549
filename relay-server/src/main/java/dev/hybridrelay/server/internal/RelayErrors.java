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
        : UUID.randomUUID().toString();
    return id + "_G" + gateway;
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
