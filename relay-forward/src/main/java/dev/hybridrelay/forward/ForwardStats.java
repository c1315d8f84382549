package dev.hybridrelay.forward;

/**
 * A snapshot of a forwarder's counters.
 *
 * @param activeConnections connections being forwarded now (handshakes included)
 * @param totalConnections connections that completed the handshake and were forwarded, ever
 * @param refusedConnections connections refused before forwarding: connection limit, unknown port
 *     name, unsupported preamble, the relay or the remote forwarder said no
 * @param failedConnections forwarded connections that ended abortively (reset, timeout, relay failure)
 * @param bytesToRelay bytes read from TCP peers and written to the relay, in total
 * @param bytesFromRelay bytes read from the relay and written to TCP peers, in total
 */
public record ForwardStats(int activeConnections, long totalConnections, long refusedConnections,
    long failedConnections, long bytesToRelay, long bytesFromRelay) {}
