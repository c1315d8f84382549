package dev.hybridrelay.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.ArrayDeque;

/**
 * One leg of a {@link SplicePair} whose two legs share one I/O thread: a streaming WebSocket frame
 * forwarder that replaces Netty's frame decoder and {@link SpliceHandler} on the data path.
 *
 * <p>A data frame is not assembled. Its header is re-written without the mask and sent on at once;
 * each chunk of its payload is unmasked in place in the buffer it was read into and written to the
 * other leg as a slice of that buffer. So a relayed byte is copied only by the kernel (read, write)
 * and touched once in user space (the XOR). Netty's decoder first gathers the whole frame, copying
 * every frame that spans two reads into its cumulation buffer, then unmasks it through the
 * {@code ByteBuf} accessors; on 2 cores those two steps were 18 % of all CPU samples of the in-process
 * bulk benchmark, and the relay's I/O thread was its bottleneck.
 *
 * <p>Checks are those of Netty's {@code WebSocket13FrameDecoder} as the relay configures it (masked
 * frames required, no extensions, no UTF-8 check of text) plus the relay's message cap: RSV bits, an
 * unknown opcode, an unmasked frame, a fragmented or over-125-byte control frame, a continuation
 * without a start, a new message inside a fragmented one, or a negative 64-bit length close both legs
 * with 1002; a frame over the frame cap or a message over the message cap with 1009; a Close body of
 * one byte or with an invalid code with 1002, with a reason that is not UTF-8 with 1007.
 *
 * <p>Control frames are small and are gathered (at most 125 bytes). Pings are answered on this leg,
 * Pongs dropped, Close frames forwarded per direction ({@link SplicePair#forwardClose}). A control
 * frame destined for a leg while a data frame is half-written into it waits until that frame is
 * complete ({@link #writeControlAfterFrame}); frames never interleave on the wire. Whatever a leg
 * sends after its Close frame is discarded.
 *
 * <p>Runs on the pair's I/O thread only.
 */
final class StreamSpliceHandler extends ChannelInboundHandlerAdapter {
  private enum State { HEADER, DATA, DISCARD, CONTROL, DEAD }

  private final RelayEngine engine;
  private final SplicePair pair;
  private final SplicePair.Side side;
  private final int maxFramePayload;
  private final long maxMessageSize;
  private final ChannelFutureListener abortOnFailure;

  private State state = State.HEADER;
  private final ClientFrameHeader frame = new ClientFrameHeader();
  private long remaining;
  private long maskOffset;
  private boolean fragmenting;
  private long messageBytes;
  private ByteBuf control;
  /** A data frame header went to the peer and its payload is not complete yet. */
  private boolean midFrame;
  private final ArrayDeque<WebSocketFrame> afterFrame = new ArrayDeque<>(2);
  private boolean wrote;
  /** Payload bytes forwarded in the current read batch, reported to the metrics at its end. */
  private long batchBytes;

  StreamSpliceHandler(RelayEngine engine, SplicePair pair, SplicePair.Side side) {
    this.engine = engine;
    this.pair = pair;
    this.side = side;
    this.maxFramePayload = engine.settings.maxFramePayload();
    this.maxMessageSize = engine.settings.maxMessageSize();
    this.abortOnFailure = f -> {
      if (!f.isSuccess()) {
        pair.abort();
      }
    };
    pair.streamHandler(side, this);
  }

  /** True while a data frame is half-written into the peer leg. */
  boolean midFrame() {
    return midFrame;
  }

  /** Writes {@code frame} into the peer leg once the data frame in progress (if any) is complete. */
  void writeControlAfterFrame(WebSocketFrame frame) {
    if (midFrame) {
      afterFrame.add(frame);
    } else {
      pair.peer(side).writeAndFlush(frame);
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (!ctx.channel().isActive()) {
      pair.legClosed(side);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      io.netty.util.ReferenceCountUtil.release(msg);
      return;
    }
    try {
      while (in.isReadable() && state != State.DEAD) {
        switch (state) {
          case HEADER -> readHeader(ctx, in);
          case DATA -> forwardPayload(in);
          case DISCARD -> discardPayload(in);
          case CONTROL -> readControl(ctx, in);
          default -> in.skipBytes(in.readableBytes());
        }
      }
    } finally {
      in.release();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (batchBytes != 0) {
      reportBytes(batchBytes);
      batchBytes = 0;
    }
    if (wrote) {
      wrote = false;
      Channel peer = pair.peer(side);
      peer.flush();
      if (!peer.isWritable()) {
        ctx.channel().config().setAutoRead(false);
        if (peer.isWritable()) {
          ctx.channel().config().setAutoRead(true);
        }
      }
    }
    ctx.fireChannelReadComplete();
  }

  private void readHeader(ChannelHandlerContext ctx, ByteBuf in) {
    if (!frame.read(in)) {
      return;
    }
    ClientFrameHeader.Violation v = frame.check(fragmenting, maxFramePayload);
    if (v != null) {
      violation(v.code(), v.reason());
      return;
    }
    maskOffset = 0;
    long length = frame.length;
    remaining = length;
    if (frame.isControl()) {
      control = ctx.alloc().buffer((int) length);
      state = State.CONTROL;
      if (length == 0) {
        controlComplete(ctx);
      }
      return;
    }
    messageBytes = frame.opcode == 0 ? messageBytes + length : length;
    if (messageBytes > maxMessageSize) {
      state = State.DEAD;
      pair.closeBoth(1009, "Message larger than " + maxMessageSize + " bytes");
      return;
    }
    fragmenting = !frame.fin;
    if (frame.fin) {
      messageBytes = 0;
    }
    Channel peer = pair.peer(side);
    if (pair.closing() || !peer.isActive() || pair.closeForwardedFrom(side)) {
      state = length == 0 ? State.HEADER : State.DISCARD;
      return;
    }
    ByteBuf h = ctx.alloc().buffer(10);
    h.writeByte(frame.b0);
    if (length <= 125) {
      h.writeByte((int) length);
    } else if (length <= 0xFFFF) {
      h.writeByte(126).writeShort((int) length);
    } else {
      h.writeByte(127).writeLong(length);
    }
    peer.write(h).addListener(abortOnFailure);
    wrote = true;
    if (length == 0) {
      frameComplete();
    } else {
      midFrame = true;
      state = State.DATA;
    }
  }

  private void forwardPayload(ByteBuf in) {
    int n = (int) Math.min(remaining, in.readableBytes());
    FrameUnmasking.unmask(in, in.readerIndex(), n, frame.maskKey, maskOffset); // in the read buffer: no NIO view of the slice
    ByteBuf chunk = in.readRetainedSlice(n);
    maskOffset += n;
    remaining -= n;
    batchBytes += n;
    pair.peer(side).write(chunk).addListener(abortOnFailure);
    wrote = true;
    if (remaining == 0) {
      frameComplete();
    }
  }

  private void reportBytes(long n) {
    if (side == SplicePair.Side.SENDER) {
      engine.metrics.bytesFromSender(n);
    } else {
      engine.metrics.bytesFromListener(n);
    }
  }

  private void frameComplete() {
    midFrame = false;
    state = State.HEADER;
    if (!afterFrame.isEmpty()) {
      Channel peer = pair.peer(side);
      WebSocketFrame f;
      while ((f = afterFrame.poll()) != null) {
        peer.write(f);
      }
      wrote = true;
    }
  }

  private void discardPayload(ByteBuf in) {
    int n = (int) Math.min(remaining, in.readableBytes());
    in.skipBytes(n);
    remaining -= n;
    if (remaining == 0) {
      state = State.HEADER;
    }
  }

  private void readControl(ChannelHandlerContext ctx, ByteBuf in) {
    int n = (int) Math.min(remaining, in.readableBytes());
    control.writeBytes(in, n);
    remaining -= n;
    if (remaining == 0) {
      controlComplete(ctx);
    }
  }

  private void controlComplete(ChannelHandlerContext ctx) {
    ByteBuf payload = control;
    control = null;
    state = State.HEADER;
    FrameUnmasking.unmask(payload, frame.maskKey, 0);
    if (frame.opcode == 9) { // ping: answered here, after any data frame being written into this leg
      pair.writeControlInto(side, new PongWebSocketFrame(payload));
      return;
    }
    if (frame.opcode == 10 || pair.closing()) {
      payload.release();
      return;
    }
    // Close: nothing after it is read (as Netty's decoder once it has seen a Close)
    state = State.DEAD;
    ClientFrameHeader.Violation v = ClientFrameHeader.checkCloseBody(payload);
    if (v != null) {
      payload.release();
      violation(v.code(), v.reason());
      return;
    }
    pair.forwardClose(side, new CloseWebSocketFrame(true, 0, payload));
  }

  private void violation(int code, String reason) {
    state = State.DEAD;
    pair.closeBoth(code, reason);
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
    pair.peer(side).config().setAutoRead(ctx.channel().isWritable());
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (control != null) {
      control.release();
      control = null;
    }
    WebSocketFrame f;
    while ((f = afterFrame.poll()) != null) {
      f.release();
    }
    pair.legClosed(side);
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    engine.onException(ctx.channel(), cause);
    pair.abort();
  }
}
