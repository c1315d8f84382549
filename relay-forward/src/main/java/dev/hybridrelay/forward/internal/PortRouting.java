package dev.hybridrelay.forward.internal;

import java.util.Locale;
import java.util.Map;

/**
 * The names by which the forwarders tell the relay, and each other, which port name a listener
 * serves, which one a sender wants, and whom the sender's client is. None starts with
 * {@code sb-hc-} (reserved by the relay); azbridge ignores them all.
 *
 * <ul>
 *   <li>listen address: {@value #PORT_PARAM} once per served port name, and
 *       {@value #ANY_NUMERIC_PARAM}{@code =true} under the lone-target rule;</li>
 *   <li>connect address: {@value #PORT_PARAM} with the port name of the preamble (Azure Relay passes
 *       it to the listener in the accept's address; the local relay chooses a listener by it);</li>
 *   <li>connect headers: {@value #SOURCE_HEADER} and {@value #DESTINATION_HEADER}, {@code ip:port}.</li>
 * </ul>
 */
public final class PortRouting {
  public static final String PORT_PARAM = "hybridrelay-port";
  public static final String ANY_NUMERIC_PARAM = "hybridrelay-any-numeric-port";
  public static final String SOURCE_HEADER = "Hybridrelay-Source";
  public static final String DESTINATION_HEADER = "Hybridrelay-Destination";
  /**
   * The status with which a remote forwarder declines, before accepting, a sender whose port name
   * it does not serve (421 Misdirected Request); a local forwarder tries another listener.
   */
  public static final int NOT_SERVED_STATUS = 421;

  private PortRouting() {}

  /** A header's value, the name matched case-insensitively; {@code null} if absent. */
  public static String header(Map<String, String> headers, String name) {
    if (headers == null) {
      return null;
    }
    String v = headers.get(name);
    if (v != null) {
      return v;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey().toLowerCase(Locale.ROOT).equals(lower)) {
        return e.getValue();
      }
    }
    return null;
  }

  /** {@code text} for a log line: control characters as {@code ?}, at most 255 characters. */
  public static String printable(String text) {
    String t = text.length() > 255 ? text.substring(0, 255) : text;
    return t.replaceAll("\\p{Cntrl}", "?");
  }
}
