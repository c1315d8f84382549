package dev.hybridrelay.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

/**
 * The listener's rendezvous socket of one HTTP request ({@code sb-hc-action=request}), after the
 * upgrade. Forwards the listener's {@code response} message and body frames to the
 * {@link HttpExchange} (on the sender's loop); the exchange writes the request to this channel.
 * Runs on this channel's event loop. Reading pauses while more than
 * {@link HttpExchange#MAX_IN_FLIGHT} bytes wait for the sender's loop.
 */
final class HttpRendezvousHandler extends ChannelInboundHandlerAdapter {
  private final RelayEngine engine;
  private final HttpExchange exchange;
  private boolean inBinary;
  private boolean responded;

  HttpRendezvousHandler(RelayEngine engine, HttpExchange exchange) {
    this.engine = engine;
    this.exchange = exchange;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    try {
      if (frame instanceof PingWebSocketFrame) {
        ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
      } else if (frame instanceof PongWebSocketFrame) {
        // keep-alive
      } else if (frame instanceof CloseWebSocketFrame) {
        exchange.postRendezvousGone("The listener closed the request's rendezvous connection before it "
            + "completed the response.");
        ctx.writeAndFlush(new CloseWebSocketFrame(1000, "Normal Closure"))
            .addListener(ChannelFutureListener.CLOSE);
      } else if (frame instanceof TextWebSocketFrame && !inBinary) {
        onText(ctx, frame);
      } else if (frame instanceof BinaryWebSocketFrame
          || (frame instanceof ContinuationWebSocketFrame && inBinary)) {
        inBinary = !frame.isFinalFragment();
        int n = frame.content().readableBytes();
        long inFlight = exchange.inFlight.addAndGet(n);
        exchange.postResponseBody(frame.content().retainedDuplicate(), frame.isFinalFragment(), true);
        if (inFlight > HttpExchange.MAX_IN_FLIGHT) {
          ctx.channel().config().setAutoRead(false);
        }
      } else {
        fail(ctx, "The listener sent a fragmented or unexpected message on the rendezvous connection.");
      }
    } finally {
      frame.release();
    }
  }

  private void onText(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (!frame.isFinalFragment() || frame.content().readableBytes() > engine.settings.maxControlMessageSize()) {
      fail(ctx, "The listener's response message is fragmented or too large.");
      return;
    }
    ListenerResponse response = ListenerResponse.parse(engine.json.getFactory(), frame.content());
    if (response == null) {
      JsonNode node;
      try {
        node = engine.json.readTree(new ByteBufInputStream(frame.content().duplicate()));
      } catch (IOException e) {
        node = null;
      }
      if (node == null || !node.isObject() || !node.path("response").isObject()) {
        fail(ctx, "The listener sent a malformed message on the rendezvous connection.");
        return;
      }
      response = ListenerResponse.fromTree(node.get("response"));
    }
    if (responded) {
      fail(ctx, "The listener sent a second response for one request.");
      return;
    }
    responded = true;
    exchange.postResponseHead(response, true);
  }

  private void fail(ChannelHandlerContext ctx, String message) {
    exchange.postRendezvousGone(message);
    RelayEngine.abort(ctx.channel());
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (ctx.channel().isWritable()) {
      exchange.postRendezvousWritable();
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    exchange.postRendezvousGone("The listener's rendezvous connection for the request was lost.");
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    engine.onException(ctx.channel(), cause);
  }
}
