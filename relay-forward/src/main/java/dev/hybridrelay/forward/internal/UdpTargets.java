package dev.hybridrelay.forward.internal;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.internal.ConnectionImpl;
import dev.hybridrelay.core.internal.IoLoop;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote forwarder's side of a UDP flow: after a datagram-mode preamble for a UDP target, opens
 * one UDP socket for the flow, connected to the target (so only the target's replies are taken),
 * answers {@code [1,0,1]}, and relays datagrams both ways on the relay connection's I/O loop.
 */
public final class UdpTargets {
  private static final Logger log = LoggerFactory.getLogger(UdpTargets.class);
  /** Socket buffer sizes asked for each flow's socket (the system may grant less). */
  static final int SOCKET_BUFFER = 1 << 20;

  private final String hybridConnection;
  private final ForwardTracker tracker;
  private final UdpCounters counters;
  private final java.util.concurrent.atomic.AtomicLong lastTooLargeLog = new java.util.concurrent.atomic.AtomicLong();
  private static final long TOO_LARGE_LOG_NANOS = Duration.ofSeconds(10).toNanos();

  public UdpTargets(String hybridConnection, ForwardTracker tracker, UdpCounters counters) {
    this.hybridConnection = hybridConnection;
    this.tracker = tracker;
    this.counters = counters;
  }

  /** The flow could not be set up; the message says why, for the WARN line. */
  public static final class SetupException extends Exception {
    public SetupException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Sets up and starts a flow to {@code host:port}. On failure the relay connection has been
   * aborted and nothing is left open.
   *
   * @return the started flow, or {@code null} if the handshake was aborted (the forwarder is closing)
   * @throws SetupException if the socket cannot be opened or the sender went away
   */
  public UdpFlow start(String id, String portName, String host, int port, InetAddress source,
      RelayConnection relay, OutputStream out, ForwardTracker.Handshake handshake) throws SetupException {
    if (!(relay instanceof ConnectionImpl) || ((ConnectionImpl) relay).ioLoop() == null) {
      relay.abort();
      throw new SetupException("UDP forwarding needs this library's relay connections", null);
    }
    ConnectionImpl conn = (ConnectionImpl) relay;
    DatagramChannel ch;
    InetSocketAddress target = new InetSocketAddress(host, port);
    try {
      if (target.isUnresolved()) {
        throw new IOException("cannot resolve host '" + host + "'");
      }
      ch = DatagramChannel.open(target.getAddress() instanceof java.net.Inet6Address
          ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
    } catch (IOException e) {
      relay.abort();
      throw new SetupException("cannot open a UDP socket to " + host + ":" + port + ": " + e.getMessage(), e);
    }
    try {
      ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
      ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
      if (source != null) {
        ch.bind(new InetSocketAddress(source, 0));
      }
      ch.connect(target);
      ch.configureBlocking(false);
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      relay.abort();
      throw new SetupException("cannot open a UDP socket to " + host + ":" + port + ": " + e.getMessage(), e);
    }
    try {
      out.write(Preamble.okReply(Preamble.MODE_DATAGRAM));
      out.flush();
      relay.setReadTimeout(Duration.ZERO);
    } catch (IOException e) {
      closeQuietly(ch);
      relay.abort();
      throw new SetupException("the sender went away during the handshake: " + e.getMessage(), e);
    }
    if (handshake.isAborted()) {
      closeQuietly(ch);
      relay.abort();
      return null;
    }
    IoLoop loop = conn.ioLoop();
    SelectionKey[] key = new SelectionKey[1];
    UdpFlow flow = new UdpFlow(id, hybridConnection, portName, target, conn, tracker, counters, d -> send(ch, d),
        () -> {
          SelectionKey k = key[0];
          if (k != null) {
            k.cancel();
          }
          closeQuietly(ch);
        });
    tracker.flowOpened(flow);
    handshake.finished();
    try {
      key[0] = loop.register(ch, SelectionKey.OP_READ, (k, ops) -> receive(ch, flow, loop));
    } catch (IOException | RuntimeException e) {
      flow.abort(dev.hybridrelay.forward.ForwardOutcome.TCP_RESET, e);
      return flow;
    }
    if (flow.isEnded()) {
      key[0].cancel();
      closeQuietly(ch);
    }
    flow.start();
    return flow;
  }

  private static boolean send(DatagramChannel ch, ByteBuffer d) throws IOException {
    try {
      return ch.write(d) > 0 || !d.hasRemaining();
    } catch (PortUnreachableException e) {
      return false; // an earlier datagram met no listener; UDP loses it
    }
  }

  /** On the loop: the target's datagrams into the relay. */
  private void receive(DatagramChannel ch, UdpFlow flow, IoLoop loop) {
    ByteBuffer buf = loop.readBuffer();
    for (int i = 0; i < 64; i++) {
      buf.clear();
      buf.position(DatagramFraming.HEADER);
      int n;
      try {
        if (ch.receive(buf) == null) {
          return;
        }
      } catch (PortUnreachableException e) {
        continue; // the target is not listening (yet); its datagrams were lost
      } catch (IOException e) {
        if (!flow.isEnded()) {
          flow.abort(dev.hybridrelay.forward.ForwardOutcome.TCP_RESET, e);
        }
        return;
      }
      n = buf.position() - DatagramFraming.HEADER;
      if (n > DatagramFraming.MAX_DATAGRAM) {
        long count = counters.tooLarge();
        long now = System.nanoTime();
        long last = lastTooLargeLog.get();
        if (last != 0 && now - last < TOO_LARGE_LOG_NANOS || !lastTooLargeLog.compareAndSet(last, now | 1L)) {
          continue;
        }
        log.warn("{}: refused a UDP datagram of {} bytes from the target {}: at most {} bytes can be forwarded "
            + "({} refused so far)", flow.id(), n, ForwardLog.peer(flow.tcpPeer()), DatagramFraming.MAX_DATAGRAM,
            count);
        continue;
      }
      buf.flip();
      buf.put(0, (byte) (n >>> 8)).put(1, (byte) n);
      flow.sendFramed(buf);
    }
  }

  private static void closeQuietly(DatagramChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing more to do
    }
  }
}
