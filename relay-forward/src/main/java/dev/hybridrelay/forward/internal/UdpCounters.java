package dev.hybridrelay.forward.internal;

import dev.hybridrelay.forward.DatagramStats;
import java.util.concurrent.atomic.AtomicLong;

/** A forwarder's UDP counters over all its flows; thread-safe. */
public final class UdpCounters {
  final AtomicLong toRelay = new AtomicLong();
  final AtomicLong fromRelay = new AtomicLong();
  final AtomicLong dropped = new AtomicLong();
  final AtomicLong tooLarge = new AtomicLong();
  final AtomicLong malformed = new AtomicLong();

  /** Counts a datagram dropped outside a flow (no flow could be set up for it). */
  public void dropped() {
    dropped.incrementAndGet();
  }

  /** Counts a datagram larger than {@link DatagramFraming#MAX_DATAGRAM}; returns the new count. */
  public long tooLarge() {
    return tooLarge.incrementAndGet();
  }

  public DatagramStats snapshot() {
    return new DatagramStats(toRelay.get(), fromRelay.get(), dropped.get(), tooLarge.get(), malformed.get());
  }
}
