package dev.hybridrelay.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.core.RelayHttpRequest;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A request as the relay sent it (protocol §3.7 {@code request} fields). */
final class HttpRequestImpl implements RelayHttpRequest {
  private final String method;
  private final String target;
  private final String path;
  private final Map<String, String> headers;
  private final InetSocketAddress remote;
  private final InputStream body;
  private final String trackingId;

  HttpRequestImpl(JsonNode r, InputStream body, String entityPath) {
    this.method = r.path("method").asText("GET");
    this.target = r.path("requestTarget").asText("/");
    this.path = below(target, entityPath);
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, JsonNode> e : r.path("requestHeaders").properties()) {
      h.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
    }
    this.headers = Collections.unmodifiableMap(h);
    JsonNode re = r.path("remoteEndpoint");
    this.remote = re.has("address")
        ? InetSocketAddress.createUnresolved(re.path("address").asText(), re.path("port").asInt(0))
        : null;
    this.body = body;
    this.trackingId = r.path("id").asText("");
  }

  /** The target below {@code /{entityPath}}: always starts with {@code /}. */
  static String below(String target, String entityPath) {
    String prefix = "/" + entityPath;
    String t = target.startsWith("/") ? target : "/" + target;
    if (t.toLowerCase(Locale.ROOT).startsWith(prefix.toLowerCase(Locale.ROOT))) {
      String rest = t.substring(prefix.length());
      if (rest.isEmpty() || rest.startsWith("?")) {
        return "/" + rest;
      }
      if (rest.startsWith("/")) {
        return rest;
      }
    }
    return t;
  }

  /** The path without its query, for logs (a query may carry application secrets). */
  String pathForLog() {
    int q = path.indexOf('?');
    return Redaction.text(q < 0 ? path : path.substring(0, q));
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String requestTarget() {
    return target;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public Map<String, String> headers() {
    return headers;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public InputStream body() {
    return body;
  }

  @Override
  public String trackingId() {
    return trackingId;
  }
}
