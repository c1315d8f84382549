package dev.hybridrelay.forward.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * The TCP forwarder kind: how a local forwarder listens on a TCP port and how a remote forwarder
 * connects to a TCP target. The bytes are then pumped by {@link ForwardPump}, as for every stream kind.
 */
public final class TcpSockets {
  private TcpSockets() {}

  /** Listens on {@code address:port} (0: any free port), with a backlog of 128. */
  public static ServerSocketChannel listen(InetAddress address, int port) throws IOException {
    ServerSocketChannel ch = ServerSocketChannel.open();
    try {
      ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      ch.bind(new InetSocketAddress(address, port), 128);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return ch;
  }

  /** Sets the options of a forwarded TCP connection: no Nagle delay, keep-alive. */
  public static void configure(SocketChannel ch) {
    try {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
    } catch (IOException e) {
      // the peer is gone already; the first read will tell
    }
  }

  /**
   * Connects to {@code host:port}, from {@code source} if not {@code null}, within {@code timeout}.
   * The channel is registered with {@code handshake} before connecting, so that closing the
   * forwarder aborts a connect in progress.
   */
  public static SocketChannel connect(String host, int port, InetAddress source, Duration timeout,
      ForwardTracker.Handshake handshake) throws IOException {
    SocketChannel ch = SocketChannel.open();
    handshake.socket(ch);
    try {
      if (source != null) {
        ch.bind(new InetSocketAddress(source, 0));
      }
      ch.socket().connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    } catch (IOException | RuntimeException e) {
      ForwardPump.resetSocket(ch);
      throw e;
    }
    configure(ch);
    return ch;
  }
}
