package dev.hybridrelay.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * The one place the relay builds an HTTP error response, for refused WebSocket handshakes and
 * plain HTTP requests alike: a {@code text/plain} body, {@code Connection: close}, and on every 401
 * the {@code WWW-Authenticate} challenge that RFC 7235 section 3.1 requires (strict clients such as
 * Jetty's report a 401 without it as a protocol violation).
 */
final class HttpRefusal {
  /** The challenge of every 401: the relay accepts Shared Access Signature tokens. */
  static final String CHALLENGE = "SharedAccessSignature";

  private HttpRefusal() {}

  /**
   * A complete error response with {@code status} (its reason phrase already sanitized) and the
   * text {@code body}; a 401 carries {@code WWW-Authenticate: SharedAccessSignature}.
   */
  static FullHttpResponse response(HttpResponseStatus status, String body) {
    return response(status, "text/plain; charset=utf-8",
        Unpooled.copiedBuffer(body + "\n", StandardCharsets.UTF_8));
  }

  /**
   * A complete error response with {@code status}, a body of {@code contentType}, and
   * {@code Connection: close}; a 401 carries {@code WWW-Authenticate: SharedAccessSignature}.
   */
  static FullHttpResponse response(HttpResponseStatus status, String contentType, ByteBuf body) {
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
    res.headers().set(HttpHeaderNames.CONNECTION, "close");
    if (status.code() == 401) {
      res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, CHALLENGE);
    }
    return res;
  }
}
