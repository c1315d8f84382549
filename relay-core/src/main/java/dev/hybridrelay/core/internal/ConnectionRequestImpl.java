package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayConnectionRequest;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What an {@code accept} message carried, as the application's {@code AcceptHandler} sees it. */
final class ConnectionRequestImpl implements RelayConnectionRequest {
  /** Default rejection, as the official SDKs. */
  static final int DEFAULT_REJECT_STATUS = 400;
  static final String DEFAULT_REJECT_DESCRIPTION = "Rejected by user code";

  private final String address;
  private final String trackingId;
  private final Map<String, String> headers;
  private final URI requestUri;
  private final String pathSuffix;
  private final Map<String, List<String>> query;
  private final InetSocketAddress remoteAddress;
  private final List<String> offered;
  private volatile String selected;
  private volatile int rejectStatus = DEFAULT_REJECT_STATUS;
  private volatile String rejectDescription = DEFAULT_REJECT_DESCRIPTION;

  ConnectionRequestImpl(String address, String trackingId, Map<String, String> connectHeaders,
      InetSocketAddress remoteAddress, String listenerScheme, String listenerAuthority, String entityPath) {
    this.address = address;
    this.trackingId = trackingId;
    TreeMap<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    h.putAll(connectHeaders);
    h.remove("ServiceBusAuthorization");
    this.headers = Collections.unmodifiableMap(h);
    URI a = URI.create(address);
    String path = a.getRawPath() == null ? "" : a.getRawPath();
    String logical = path.startsWith("/$hc/") ? path.substring(4) : path;
    String prefix = "/" + entityPath;
    String suffix = "";
    if (logical.startsWith(prefix)) {
      suffix = logical.substring(prefix.length());
      if (suffix.startsWith("/")) {
        suffix = suffix.substring(1);
      }
    }
    this.pathSuffix = java.net.URLDecoder.decode(suffix.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    String q = RelayUris.withoutRelayParameters(a.getRawQuery());
    this.query = Collections.unmodifiableMap(RelayUris.parseQuery(q));
    this.requestUri = URI.create(listenerScheme + "://" + listenerAuthority + logical + (q.isEmpty() ? "" : "?" + q));
    this.remoteAddress = remoteAddress;
    List<String> o = new ArrayList<>();
    String p = h.get("Sec-WebSocket-Protocol");
    if (p != null) {
      for (String s : p.split(",")) {
        if (!s.trim().isEmpty()) {
          o.add(s.trim());
        }
      }
    }
    this.offered = List.copyOf(o);
    this.selected = o.isEmpty() ? null : o.get(0);
  }

  String address() {
    return address;
  }

  String selectedSubprotocol() {
    return selected;
  }

  int rejectStatus() {
    return rejectStatus;
  }

  String rejectDescription() {
    return rejectDescription;
  }

  @Override
  public String trackingId() {
    return trackingId;
  }

  @Override
  public Map<String, String> headers() {
    return headers;
  }

  @Override
  public URI requestUri() {
    return requestUri;
  }

  @Override
  public String pathSuffix() {
    return pathSuffix;
  }

  @Override
  public Map<String, List<String>> queryParameters() {
    return query;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return remoteAddress;
  }

  @Override
  public List<String> offeredSubprotocols() {
    return offered;
  }

  @Override
  public void selectSubprotocol(String subprotocol) {
    if (subprotocol != null && !offered.contains(subprotocol)) {
      throw new IllegalArgumentException("The sender did not offer sub-protocol '" + subprotocol + "'; offered: "
          + offered);
    }
    this.selected = subprotocol;
  }

  @Override
  public void reject(int statusCode, String description) {
    if (statusCode < 400 || statusCode > 599) {
      throw new IllegalArgumentException("A rejection status must be 400 to 599, but was " + statusCode);
    }
    this.rejectStatus = statusCode;
    this.rejectDescription = description == null ? "" : description;
  }

  @Override
  public String toString() {
    return "RelayConnectionRequest{" + trackingId + ", " + Redaction.uri(requestUri) + "}";
  }
}
