package dev.hybridrelay.core.internal;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import dev.hybridrelay.core.RelayHttpRequest;
import dev.hybridrelay.core.RelayHttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A relayed request presented as a JDK {@link HttpExchange}, so that an existing
 * {@link HttpHandler} serves it unchanged.
 */
public final class JdkHttpExchange extends HttpExchange {
  private final RelayHttpRequest request;
  private final RelayHttpResponse response;
  private final Headers requestHeaders = new Headers();
  private final Headers responseHeaders = new Headers();
  private final Map<String, Object> attributes = new ConcurrentHashMap<>();
  private InputStream in;
  private OutputStream out;
  private int code = -1;

  private JdkHttpExchange(RelayHttpRequest request, RelayHttpResponse response) {
    this.request = request;
    this.response = response;
    request.headers().forEach(requestHeaders::add);
    this.in = request.body();
    this.out = response.body();
  }

  /** Runs {@code handler} on the request; the response completes when it returns. */
  public static void serve(HttpHandler handler, RelayHttpRequest request, RelayHttpResponse response)
      throws IOException {
    JdkHttpExchange x = new JdkHttpExchange(request, response);
    handler.handle(x);
  }

  @Override
  public Headers getRequestHeaders() {
    return requestHeaders;
  }

  @Override
  public Headers getResponseHeaders() {
    return responseHeaders;
  }

  @Override
  public URI getRequestURI() {
    return URI.create(request.path());
  }

  @Override
  public String getRequestMethod() {
    return request.method();
  }

  @Override
  public HttpContext getHttpContext() {
    return null;
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException ignored) {
      // nothing to do
    }
    try {
      out.close();
    } catch (IOException ignored) {
      // the response could not be completed; the relay answers the sender
    }
  }

  @Override
  public InputStream getRequestBody() {
    return in;
  }

  @Override
  public OutputStream getResponseBody() {
    return out;
  }

  @Override
  public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
    if (code >= 0) {
      throw new IOException("headers already sent");
    }
    code = rCode;
    response.setStatus(rCode);
    for (Map.Entry<String, List<String>> e : responseHeaders.entrySet()) {
      response.headers().put(e.getKey(), String.join(", ", e.getValue()));
    }
    if (responseLength > 0) {
      response.headers().put("Content-Length", Long.toString(responseLength));
    }
    if (responseLength < 0) {
      out.close(); // no body
    }
  }

  @Override
  public InetSocketAddress getRemoteAddress() {
    return request.remoteAddress();
  }

  @Override
  public int getResponseCode() {
    return code;
  }

  @Override
  public InetSocketAddress getLocalAddress() {
    return null;
  }

  @Override
  public String getProtocol() {
    return "HTTP/1.1";
  }

  @Override
  public Object getAttribute(String name) {
    return attributes.get(name);
  }

  @Override
  public void setAttribute(String name, Object value) {
    if (value == null) {
      attributes.remove(name);
    } else {
      attributes.put(name, value);
    }
  }

  @Override
  public void setStreams(InputStream i, OutputStream o) {
    if (i != null) {
      in = i;
    }
    if (o != null) {
      out = o;
    }
  }

  @Override
  public HttpPrincipal getPrincipal() {
    return null;
  }
}
