package dev.hybridrelay.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;

/**
 * A WebSocket frame decoder (client-to-server frames, masked) that passes binary payload on as it
 * arrives instead of gathering each frame: for the listener's rendezvous connection of an HTTP
 * request, whose response body comes in frames of up to 64 KiB or more.
 *
 * <p>Each chunk of a binary or continuation frame's payload that a read brings is unmasked in place
 * in the buffer it was read into and passed on as a slice of that buffer: the first chunk of a
 * binary frame as a {@link BinaryWebSocketFrame}, the rest as {@link ContinuationWebSocketFrame}s,
 * the last chunk of a frame with FIN set marked final. So the handler after this one sees the
 * listener's message as a fragmented message whose fragment boundaries are the reads' (the message's
 * bytes and its end are the same), and the relay passes bytes to the sender without waiting for the
 * end of a frame. Netty's {@code WebSocket13FrameDecoder} gathered every frame first (copying it into
 * a buffer of its own), which stalled the body stream once per frame.
 *
 * <p>Text frames (the {@code response} message) and control frames are gathered whole, as before.
 * The checks are those of Netty's decoder as the relay configured it (masked frames required, no
 * extensions, no UTF-8 check of text, no Close sent on a violation): RSV bits, an unknown opcode, an
 * unmasked frame, a fragmented or over-125-byte control frame, a continuation without a start, a new
 * message inside a fragmented one, a negative 64-bit length (1002); a frame over
 * {@code maxFramePayload} (1009); a Close body of one byte or with an invalid code (1002) or a
 * reason that is not UTF-8 (1007) ({@link ClientFrameHeader}, shared with the stream splice). A
 * violation fires a {@link CorruptedWebSocketFrameException} down the pipeline and nothing after it
 * is read, also as Netty's decoder did; after a Close frame nothing more is read either.
 *
 * <p>Runs on the channel's event loop only.
 */
final class StreamingFrameDecoder extends ChannelInboundHandlerAdapter {
  private enum State { HEADER, DATA, GATHER, DEAD }

  private final int maxFramePayload;
  private State state = State.HEADER;
  private final ClientFrameHeader frame = new ClientFrameHeader();
  private long remaining;
  private long maskOffset;
  private boolean fragmenting;
  /** For a data frame being streamed: no chunk of it was passed on yet. */
  private boolean firstChunk;
  /** A text or control frame being gathered. */
  private ByteBuf gathered;

  StreamingFrameDecoder(int maxFramePayload) {
    this.maxFramePayload = maxFramePayload;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      while (in.isReadable() && state != State.DEAD) {
        switch (state) {
          case HEADER -> readHeader(ctx, in);
          case DATA -> passPayload(ctx, in);
          case GATHER -> gather(ctx, in);
          default -> in.skipBytes(in.readableBytes());
        }
      }
      if (state == State.DEAD) {
        in.skipBytes(in.readableBytes());
      }
    } finally {
      in.release();
    }
  }

  private void readHeader(ChannelHandlerContext ctx, ByteBuf in) {
    if (!frame.read(in)) {
      return;
    }
    ClientFrameHeader.Violation v = frame.check(fragmenting, maxFramePayload);
    if (v != null) {
      violation(ctx, v);
      return;
    }
    maskOffset = 0;
    remaining = frame.length;
    if (!frame.isControl()) {
      fragmenting = !frame.fin;
    }
    if (frame.isControl() || frame.opcode == 1) {
      gathered = ctx.alloc().buffer((int) remaining);
      state = State.GATHER;
      if (remaining == 0) {
        gathered(ctx);
      }
      return;
    }
    firstChunk = true;
    if (remaining == 0) {
      ctx.fireChannelRead(dataFrame(ctx.alloc().buffer(0), true));
      state = State.HEADER;
      return;
    }
    state = State.DATA;
  }

  private void passPayload(ChannelHandlerContext ctx, ByteBuf in) {
    int n = (int) Math.min(remaining, in.readableBytes());
    FrameUnmasking.unmask(in, in.readerIndex(), n, frame.maskKey, maskOffset);
    ByteBuf chunk = in.readRetainedSlice(n);
    maskOffset += n;
    remaining -= n;
    boolean frameEnd = remaining == 0;
    if (frameEnd) {
      state = State.HEADER;
    }
    ctx.fireChannelRead(dataFrame(chunk, frameEnd));
  }

  /** A chunk of the streamed data frame: binary when it starts a binary frame, else a continuation. */
  private io.netty.handler.codec.http.websocketx.WebSocketFrame dataFrame(ByteBuf chunk, boolean frameEnd) {
    boolean last = frameEnd && frame.fin;
    if (firstChunk && frame.opcode == 2) {
      firstChunk = false;
      return new BinaryWebSocketFrame(last, 0, chunk);
    }
    firstChunk = false;
    return new ContinuationWebSocketFrame(last, 0, chunk);
  }

  private void gather(ChannelHandlerContext ctx, ByteBuf in) {
    int n = (int) Math.min(remaining, in.readableBytes());
    gathered.writeBytes(in, n);
    remaining -= n;
    if (remaining == 0) {
      gathered(ctx);
    }
  }

  private void gathered(ChannelHandlerContext ctx) {
    ByteBuf payload = gathered;
    gathered = null;
    state = State.HEADER;
    FrameUnmasking.unmask(payload, frame.maskKey, 0);
    switch (frame.opcode) {
      case 1 -> ctx.fireChannelRead(new TextWebSocketFrame(frame.fin, 0, payload));
      case 9 -> ctx.fireChannelRead(new PingWebSocketFrame(payload));
      case 10 -> ctx.fireChannelRead(new PongWebSocketFrame(payload));
      default -> {
        // Close: nothing after it is read
        state = State.DEAD;
        ClientFrameHeader.Violation v = ClientFrameHeader.checkCloseBody(payload);
        if (v != null) {
          payload.release();
          violation(ctx, v);
          return;
        }
        ctx.fireChannelRead(new CloseWebSocketFrame(true, 0, payload));
      }
    }
  }

  private void violation(ChannelHandlerContext ctx, ClientFrameHeader.Violation v) {
    state = State.DEAD;
    ctx.fireExceptionCaught(new CorruptedWebSocketFrameException(WebSocketCloseStatus.valueOf(v.code()), v.reason()));
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    releaseGathered();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseGathered();
  }

  private void releaseGathered() {
    if (gathered != null) {
      ReferenceCountUtil.release(gathered);
      gathered = null;
    }
  }
}
