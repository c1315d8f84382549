package dev.hybridrelay.server.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * Relay-generated answers to HTTP request-mode senders, in the service's shape: the standard reason
 * phrase, a JSON body {@code {"error":{"code":…,"message":"… TrackingId:…, SystemTracker:…,
 * Timestamp:…"}}}, no {@code Via} (so a sender can tell them from listener answers), and
 * {@code WWW-Authenticate: SharedAccessSignature} on every 401 (built by {@link HttpRefusal}). The connection is closed after the
 * answer. Never carries a stack trace or a credential.
 */
final class HttpErrors {
  static final String TOKEN = "TokenMissingOrInvalid";
  static final String NOT_FOUND = "EndpointNotFound";
  static final String TIMEOUT = "GatewayTimeout";
  static final String BAD_GATEWAY = "BadGateway";
  static final String BUSY = "ServerBusy";
  static final String BAD_REQUEST = "BadRequest";

  private HttpErrors() {}

  /** The complete response (not yet written). */
  static FullHttpResponse response(RelayEngine engine, int status, String code, String message,
      String trackingId, String hcName) {
    ObjectNode root = engine.json.createObjectNode();
    ObjectNode error = root.putObject("error");
    error.put("code", code);
    error.put("message", engine.errors.reason(message, trackingId, hcName));
    byte[] body = root.toString().getBytes(StandardCharsets.UTF_8);
    return HttpRefusal.response(HttpResponseStatus.valueOf(status), "application/json; charset=utf-8",
        Unpooled.wrappedBuffer(body));
  }

  /** Writes the answer and closes the connection once it is flushed. */
  static void send(ChannelHandlerContext ctx, RelayEngine engine, int status, String code,
      String message, String trackingId, String hcName) {
    engine.metrics.httpRequest(status);
    ctx.channel().config().setAutoRead(true); // let a close from the sender be noticed
    ctx.writeAndFlush(response(engine, status, code, message, trackingId, hcName))
        .addListener(ChannelFutureListener.CLOSE);
  }
}
