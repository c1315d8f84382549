package dev.hybridrelay.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PROXY protocol, version 1 (HAProxy's {@code send-proxy}): a connection from a trusted proxy
 * starts with {@code PROXY TCP4|TCP6 src dst sport dport\r\n} (at most 107 bytes) before TLS or
 * HTTP; the source becomes the channel's {@link #SOURCE}. From other peers nothing is expected and
 * the handler steps aside at once. A trusted peer without a valid header is disconnected.
 */
final class ProxyProtocolHandler extends ByteToMessageDecoder {
  private static final Logger log = LoggerFactory.getLogger(ProxyProtocolHandler.class);
  /** The client address a PROXY header gave, if any. */
  static final AttributeKey<InetSocketAddress> SOURCE = AttributeKey.valueOf("hybridrelay.proxySource");
  static final int MAX_LINE = 107;

  private final Frontend frontend;

  ProxyProtocolHandler(Frontend frontend) {
    this.frontend = frontend;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    if (!(ctx.channel().remoteAddress() instanceof InetSocketAddress peer) || !frontend.trusted(peer.getAddress())) {
      ctx.pipeline().remove(this);
    }
    super.channelActive(ctx);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int start = in.readerIndex();
    int limit = Math.min(in.writerIndex(), start + MAX_LINE);
    int eol = -1;
    for (int i = start; i + 1 < limit; i++) {
      if (in.getByte(i) == '\r' && in.getByte(i + 1) == '\n') {
        eol = i;
        break;
      }
    }
    if (eol < 0) {
      if (in.readableBytes() >= MAX_LINE) {
        reject(ctx, "no PROXY header line within " + MAX_LINE + " bytes");
      }
      return;
    }
    String line = in.toString(start, eol - start, StandardCharsets.US_ASCII);
    in.readerIndex(eol + 2);
    String[] f = line.split(" ");
    if (f.length < 2 || !f[0].equals("PROXY")) {
      reject(ctx, "the connection does not start with a PROXY header");
      return;
    }
    if (f[1].equals("TCP4") || f[1].equals("TCP6")) {
      InetAddress src = f.length == 6 ? Frontend.literal(f[2]) : null;
      int port = -1;
      try {
        port = f.length == 6 ? Integer.parseInt(f[4]) : -1;
      } catch (NumberFormatException ignored) {
        // below
      }
      if (src == null || port < 0 || port > 65535) {
        reject(ctx, "malformed PROXY header");
        return;
      }
      ctx.channel().attr(SOURCE).set(new InetSocketAddress(src, port));
    } else if (!f[1].equals("UNKNOWN")) {
      reject(ctx, "unsupported PROXY protocol family " + f[1]);
      return;
    }
    ctx.pipeline().remove(this);
  }

  private void reject(ChannelHandlerContext ctx, String why) {
    log.debug("Connection from trusted proxy {} dropped: {}", ctx.channel().remoteAddress(), why);
    ctx.close();
  }
}
