package dev.hybridrelay.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First plaintext handler of every connection. Enforces the connection cap, the per-address
 * connection cap, the pending-handshake cap, the handshake byte cap (request line + headers, counted on the wire) and the handshake
 * deadline (from TCP accept until the request is complete, TLS handshake included).
 */
final class ConnectionGuard extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);
  private final RelayEngine engine;
  private boolean counted;
  private java.net.InetAddress countedAddress;
  private boolean pending;
  private boolean countingBytes = true;
  private long handshakeBytes;
  private ScheduledFuture<?> deadline;

  ConnectionGuard(RelayEngine engine) {
    this.engine = engine;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    engine.channels.add(ctx.channel());
    counted = true;
    pending = true;
    int connections = engine.connections.incrementAndGet();
    int handshakes = engine.pendingHandshakes.incrementAndGet();
    if (engine.closing()) {
      ctx.close();
      return;
    }
    if (connections > engine.settings.maxConnections()) {
      log.warn("Refusing connection from {}: {} connections open (maxConnections {})",
          ctx.channel().remoteAddress(), connections - 1, engine.settings.maxConnections());
      RelayEngine.abort(ctx.channel());
      return;
    }
    if (ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress remote
        && remote.getAddress() != null) {
      countedAddress = RelayEngine.canonical(remote.getAddress());
      int fromAddress = engine.addressAcquired(countedAddress);
      if (fromAddress > engine.settings.maxConnectionsPerAddress()) {
        log.warn("Refusing connection from {}: {} connections open from this address "
            + "(maxConnectionsPerAddress {})", ctx.channel().remoteAddress(), fromAddress - 1,
            engine.settings.maxConnectionsPerAddress());
        RelayEngine.abort(ctx.channel());
        return;
      }
    }
    if (handshakes > engine.settings.maxPendingHandshakes()) {
      log.warn("Refusing connection from {}: {} handshakes pending (maxPendingHandshakes {})",
          ctx.channel().remoteAddress(), handshakes - 1, engine.settings.maxPendingHandshakes());
      RelayEngine.abort(ctx.channel());
      return;
    }
    deadline = ctx.executor().schedule(engine.guarded(() -> onDeadline(ctx)),
        engine.settings.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    super.channelActive(ctx);
  }

  private void onDeadline(ChannelHandlerContext ctx) {
    if (pending && ctx.channel().isActive()) {
      log.debug("Handshake deadline passed for {}", ctx.channel().remoteAddress());
      refuse(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "The handshake was not completed in time.");
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (countingBytes && msg instanceof ByteBuf buf) {
      handshakeBytes += headBytes(buf);
      if (handshakeBytes > engine.settings.maxHandshakeBytes()) {
        buf.release();
        countingBytes = false;
        log.debug("Handshake from {} exceeded {} bytes", ctx.channel().remoteAddress(),
            engine.settings.maxHandshakeBytes());
        refuse(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
            "The handshake exceeded " + engine.settings.maxHandshakeBytes() + " bytes.");
        return;
      }
    }
    super.channelRead(ctx, msg);
  }

  /**
   * Bytes of {@code buf} up to and including the end of the request head (CRLF CRLF); once the head
   * has ended, counting stops, so that a request body sent with the head (HTTP request mode) does not
   * count against the handshake cap.
   */
  private int headBytes(ByteBuf buf) {
    int start = buf.readerIndex();
    int end = buf.writerIndex();
    for (int i = start; i < end; i++) {
      byte b = buf.getByte(i);
      boolean expected = (headEnd & 1) == 0 ? b == '\r' : b == '\n';
      headEnd = expected ? headEnd + 1 : (b == '\r' ? 1 : 0);
      if (headEnd == 4) {
        countingBytes = false;
        return i - start + 1;
      }
    }
    return end - start;
  }

  private int headEnd;

  /** Answers with a plain HTTP error if the TLS layer (if any) is up, then closes. */
  private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
    engine.metrics.refused(status.code());
    pendingDone();
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    boolean httpStillThere = ctx.pipeline().get("http") != null;
    if (httpStillThere && (ssl == null || ssl.handshakeFuture().isSuccess())) {
      FullHttpResponse res = HttpRefusal.response(status, text);
      // Written from the tail so that the HTTP codec encodes it.
      ctx.channel().writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
      ctx.executor().schedule(() -> RelayEngine.abort(ctx.channel()), 1, TimeUnit.SECONDS);
    } else {
      RelayEngine.abort(ctx.channel());
    }
  }

  /** The full handshake request has arrived: it no longer counts as a pending handshake. */
  void requestReceived() {
    pendingDone();
  }

  /** The connection is now a WebSocket: stop counting handshake bytes. */
  void upgraded() {
    pendingDone();
    countingBytes = false;
  }

  private void pendingDone() {
    if (pending) {
      pending = false;
      engine.pendingHandshakes.decrementAndGet();
    }
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
  }

  /**
   * The peer shut down its output (FIN; with TLS usually after {@code close_notify}). A relayed leg
   * decides for itself ({@link SplicePair#inputShutdown}); every other connection (a handshake in
   * progress, a control channel) ends here once what was written to it is flushed.
   */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof ChannelInputShutdownEvent) {
      ChannelPipeline p = ctx.pipeline();
      if (p.get(StreamSpliceHandler.class) == null && p.get(SpliceHandler.class) == null) {
        RelayEngine.closeAfterFlush(ctx.channel());
      }
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    pendingDone();
    if (counted) {
      counted = false;
      engine.connections.decrementAndGet();
    }
    if (countedAddress != null) {
      engine.addressReleased(countedAddress);
      countedAddress = null;
    }
    engine.channels.remove(ctx.channel());
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    engine.onException(ctx.channel(), cause);
  }
}
