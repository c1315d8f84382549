package dev.hybridrelay.server.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * RFC 6455 server handshake written by hand so that the relay controls every response header:
 * no extension is ever negotiated ({@code Sec-WebSocket-Extensions} is never sent) and the
 * sub-protocol is the one the listener chose.
 */
final class WebSocketUpgrade {
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private WebSocketUpgrade() {}

  static boolean isWebSocketUpgrade(HttpRequest req) {
    String upgrade = req.headers().get(HttpHeaderNames.UPGRADE);
    return upgrade != null && upgrade.toLowerCase(java.util.Locale.ROOT).contains("websocket");
  }

  static String acceptKey(String key) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1")
          .digest((key.trim() + GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes the 101 response through the HTTP codec, swaps the codec for WebSocket frame
   * codecs and replaces the handler at {@code ctx} with {@code next}. Must run on the channel's
   * event loop.
   */
  static void complete(ChannelHandlerContext ctx, HttpRequest req, String subprotocol,
      int maxFramePayload, String nextName, ChannelHandler next) {
    complete(ctx, req, subprotocol, maxFramePayload, nextName, next, false);
  }

  /**
   * As {@link #complete(ChannelHandlerContext, HttpRequest, String, int, String, ChannelHandler)};
   * with {@code rawInbound} no frame decoder is installed: {@code next} receives the raw bytes and
   * decodes frames itself ({@link StreamSpliceHandler}).
   */
  static void complete(ChannelHandlerContext ctx, HttpRequest req, String subprotocol,
      int maxFramePayload, String nextName, ChannelHandler next, boolean rawInbound) {
    complete(ctx, req, subprotocol, nextName, next, rawInbound ? null : new WebSocket13FrameDecoder(
        WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(maxFramePayload)
            .expectMaskedFrames(true)
            .allowMaskMismatch(false)
            .allowExtensions(false)
            .closeOnProtocolViolation(false)
            .withUTF8Validator(false)
            .build()));
  }

  /**
   * As {@link #complete(ChannelHandlerContext, HttpRequest, String, int, String, ChannelHandler)},
   * with {@code decoder} (or none, when null) as the inbound frame decoder.
   */
  static void complete(ChannelHandlerContext ctx, HttpRequest req, String subprotocol,
      String nextName, ChannelHandler next, ChannelHandler decoder) {
    FullHttpResponse res = new DefaultFullHttpResponse(
        HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS, Unpooled.EMPTY_BUFFER);
    res.headers().set(HttpHeaderNames.UPGRADE, "websocket");
    res.headers().set(HttpHeaderNames.CONNECTION, "Upgrade");
    res.headers().set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT,
        acceptKey(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY)));
    if (subprotocol != null && !subprotocol.isEmpty()) {
      res.headers().set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, subprotocol);
    }
    ChannelPipeline p = ctx.pipeline();
    // Install the WebSocket handlers first, so that the next handler is in place (and visible
    // to other threads) before the peer can see the 101; then write the 101 from the decoder's
    // position, which passes through the HTTP encoder but not the frame encoder.
    if (decoder != null) {
      p.addBefore(ctx.name(), "ws-decoder", decoder);
    }
    p.addBefore(ctx.name(), "ws-encoder", new WebSocket13FrameEncoder(false));
    ConnectionGuard guard = p.get(ConnectionGuard.class);
    if (guard != null) {
      guard.upgraded();
    }
    p.replace(ctx.name(), nextName, next);
    // From the frame encoder's position: the response passes the HTTP encoder only.
    p.context("ws-encoder").writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    p.remove(HttpServerCodec.class);
  }

  /**
   * Writes a complete non-101 response (reason phrase already sanitized; built by {@link
   * HttpRefusal#response}, so a 401 carries {@code WWW-Authenticate}) and closes.
   */
  static void refuse(ChannelHandlerContext ctx, int status, String reason, String body) {
    FullHttpResponse res = HttpRefusal.response(
        new HttpResponseStatus(status, RelayErrors.sanitize(reason)), body);
    ConnectionGuard guard = ctx.pipeline().get(ConnectionGuard.class);
    if (guard != null) {
      guard.requestReceived();
    }
    ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
  }
}
