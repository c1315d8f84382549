package dev.hybridrelay.server.internal;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.Locale;

/**
 * The relay's socket transport: Netty's native epoll transport on Linux when its native library
 * ({@code io.netty:netty-transport-native-epoll} for the platform) loads, else the JDK's NIO
 * selector. Both behave the same toward peers (same options, half-closure, backpressure); epoll
 * costs fewer system calls and no selected-key bookkeeping per event (Performance page, seventh HTTP
 * round).
 *
 * <p>Chosen once per relay at start: {@code auto} (default, or the system property
 * {@value #PROPERTY}), {@code nio}, or {@code epoll} (start fails when it cannot be loaded).
 */
public final class NettyTransport {
  /** System property that chooses the transport when the builder did not: {@code auto}, {@code nio}, {@code epoll}. */
  public static final String PROPERTY = "hybridrelay.server.transport";

  private final String name;
  private final IoHandlerFactory ioHandlers;
  private final Class<? extends ServerChannel> serverChannel;

  private NettyTransport(String name, IoHandlerFactory ioHandlers, Class<? extends ServerChannel> serverChannel) {
    this.name = name;
    this.ioHandlers = ioHandlers;
    this.serverChannel = serverChannel;
  }

  /**
   * @param asked {@code auto}, {@code nio} or {@code epoll}; null: the system property, else auto
   * @throws IllegalArgumentException for another name
   * @throws IllegalStateException if {@code epoll} is asked for and cannot be used here
   */
  public static NettyTransport choose(String asked) {
    String p = (asked != null ? asked : System.getProperty(PROPERTY, "auto")).trim().toLowerCase(Locale.ROOT);
    switch (p) {
      case "nio":
        return nio();
      case "auto":
        return epollAvailable() ? epoll() : nio();
      case "epoll":
        if (!epollAvailable()) {
          throw new IllegalStateException("The epoll transport is not available here: it needs Linux and "
              + "io.netty:netty-transport-native-epoll for this platform on the class path; use the nio "
              + "transport (" + epollUnavailability() + ")");
        }
        return epoll();
      default:
        throw new IllegalArgumentException("Unknown transport '" + p + "': use auto, nio or epoll");
    }
  }

  private static NettyTransport nio() {
    return new NettyTransport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
  }

  private static NettyTransport epoll() {
    return new NettyTransport("epoll", io.netty.channel.epoll.EpollIoHandler.newFactory(),
        io.netty.channel.epoll.EpollServerSocketChannel.class);
  }

  private static boolean epollAvailable() {
    try {
      return io.netty.channel.epoll.Epoll.isAvailable();
    } catch (LinkageError e) { // the epoll classes are not on the class path
      return false;
    }
  }

  private static String epollUnavailability() {
    try {
      Throwable t = io.netty.channel.epoll.Epoll.unavailabilityCause();
      return t == null ? "unknown cause" : t.toString();
    } catch (LinkageError e) {
      return "netty-transport-classes-epoll is not on the class path";
    }
  }

  /** {@code "epoll"} or {@code "nio"}. */
  public String name() {
    return name;
  }

  IoHandlerFactory ioHandlers() {
    return ioHandlers;
  }

  Class<? extends ServerChannel> serverChannel() {
    return serverChannel;
  }
}
