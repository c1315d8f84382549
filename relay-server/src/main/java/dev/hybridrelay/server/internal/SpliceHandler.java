package dev.hybridrelay.server.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * One leg of a {@link SplicePair}. Data frames are forwarded as they are (opcode, FIN and
 * payload preserved, no copy); Pings are answered locally; Close frames are forwarded per
 * direction. Backpressure: while the peer is not writable, this leg stops reading; the peer's
 * writability change turns reading back on. Message size (all fragments) is capped: over the cap
 * both legs are closed with 1009.
 */
final class SpliceHandler extends ChannelInboundHandlerAdapter {
  private final RelayEngine engine;
  private final SplicePair pair;
  private final SplicePair.Side side;
  private long messageBytes;

  SpliceHandler(RelayEngine engine, SplicePair pair, SplicePair.Side side) {
    this.engine = engine;
    this.pair = pair;
    this.side = side;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (!ctx.channel().isActive()) {
      pair.legClosed(side);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (frame instanceof PingWebSocketFrame) {
      ctx.writeAndFlush(new PongWebSocketFrame(frame.content()));
      return;
    }
    if (frame instanceof PongWebSocketFrame) {
      frame.release();
      return;
    }
    if (pair.closing()) {
      frame.release();
      return;
    }
    if (frame instanceof CloseWebSocketFrame close) {
      pair.forwardClose(side, close);
      return;
    }
    long size = frame.content().readableBytes();
    messageBytes = frame instanceof ContinuationWebSocketFrame ? messageBytes + size : size;
    if (messageBytes > engine.settings.maxMessageSize()) {
      frame.release();
      pair.closeBoth(1009, "Message larger than " + engine.settings.maxMessageSize() + " bytes");
      return;
    }
    if (frame.isFinalFragment()) {
      messageBytes = 0;
    }
    Channel peer = pair.peer(side);
    if (!peer.isActive() || pair.closeForwardedFrom(side)) {
      frame.release();
      return;
    }
    if (side == SplicePair.Side.SENDER) {
      engine.metrics.bytesFromSender(size);
    } else {
      engine.metrics.bytesFromListener(size);
    }
    peer.writeAndFlush(frame).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        pair.abort();
      }
    });
    if (!peer.isWritable()) {
      ctx.channel().config().setAutoRead(false);
      // The peer may have drained between the check and now.
      if (peer.isWritable()) {
        ctx.channel().config().setAutoRead(true);
      }
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
      pair.inputShutdown(side);
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    // This leg's writability governs how fast the other leg may read.
    pair.peer(side).config().setAutoRead(ctx.channel().isWritable());
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    pair.legClosed(side);
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof CorruptedWebSocketFrameException e) {
      int code = e.closeStatus() == null ? 1002 : e.closeStatus().code();
      pair.closeBoth(code, e.getMessage() == null ? "Protocol error" : e.getMessage());
      return;
    }
    engine.onException(ctx.channel(), cause);
    pair.abort();
  }
}
