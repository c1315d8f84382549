package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayHttpRequest;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;

/** A request as the relay sent it (protocol §3.7 {@code request} fields). */
final class HttpRequestImpl implements RelayHttpRequest {
  private final String method;
  private final String target;
  private final String path;
  private final Map<String, String> headers;
  private final InetSocketAddress remote;
  private final InputStream body;
  private final String trackingId;

  HttpRequestImpl(ControlMessages.Request r, InputStream body, String entityPath) {
    this.method = r.method;
    this.target = r.requestTarget;
    this.path = below(target, entityPath);
    this.headers = r.requestHeaders;
    this.remote = r.remote == null ? null : InetSocketAddress.createUnresolved(r.remote.address, r.remote.port);
    this.body = body;
    this.trackingId = r.id;
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
