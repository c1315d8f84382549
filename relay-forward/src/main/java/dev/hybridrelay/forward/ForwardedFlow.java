package dev.hybridrelay.forward;

/**
 * A forwarded UDP flow: the datagrams of one UDP source endpoint (local side) or of one relay
 * connection (remote side), carried over one relay connection in azbridge's datagram mode. Its
 * {@link #tcpPeer()} is the UDP peer: the client's endpoint on a {@link UdpLocalForwarder}, the
 * target on a {@link RemoteForwarder}. Byte counts are payload bytes, without the 2-byte framing.
 * Counts are live while the flow is open.
 */
public interface ForwardedFlow extends ForwardedConnection {
  /** Datagrams read from the UDP peer and sent into the relay connection. */
  long datagramsToRelay();

  /** Datagrams received from the relay connection and sent to the UDP peer. */
  long datagramsFromRelay();

  /**
   * Datagrams dropped, in either direction: the relay connection's send window was full, the flow
   * was still connecting and its small queue was full, or the UDP socket had no room. UDP may lose
   * datagrams; a dropped datagram is never sent in part.
   */
  long datagramsDropped();
}
