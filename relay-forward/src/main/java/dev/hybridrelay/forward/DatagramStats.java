package dev.hybridrelay.forward;

/**
 * A snapshot of a forwarder's UDP counters, over all its flows, ever.
 *
 * @param datagramsToRelay datagrams read from UDP peers and sent into relay connections
 * @param datagramsFromRelay datagrams received from relay connections and sent to UDP peers
 * @param datagramsDropped datagrams dropped because a send window, a connecting flow's queue or a
 *     UDP socket buffer was full, or the flow could not be set up (see {@link ForwardedFlow#datagramsDropped()})
 * @param datagramsTooLarge datagrams refused because they were larger than 65,507 bytes, the
 *     largest the framing carries (possible over IPv6); never forwarded in part
 * @param malformedFlows flows closed because the peer sent a frame longer than 65,507 bytes
 */
public record DatagramStats(long datagramsToRelay, long datagramsFromRelay, long datagramsDropped,
    long datagramsTooLarge, long malformedFlows) {}
