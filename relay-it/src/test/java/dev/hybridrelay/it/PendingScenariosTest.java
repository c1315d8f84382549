package dev.hybridrelay.it;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Catalogue entries not automated yet. Each names what is missing; the reliability page lists them
 * as open.
 */
class PendingScenariosTest {

  @Test
  @Disabled("L3 not automated yet: 1 GiB each way through LocalForwarder -> relay -> "
      + "RemoteForwarder -> TCP echo with every party in a child JVM at -Xmx128m (ChildJvm + "
      + "forwarder mains still to write)")
  void l3ForwarderChainGiB() {
  }

  @Test
  @Disabled("L4 not automated yet: 1,000 streams with random write/read sizes, Nagle on/off, "
      + "FaultProxy.slicer(1..64 B) on the sender leg (FaultProxy supports it)")
  void l4ChunkingFuzz() {
  }

  @Test
  @Disabled("L8 not automated yet: 30 min soak (tag soak) with 20 connections/s, 10 long-lived "
      + "streams, 5 min token TTL with renewal, RSS/threads/FDs sampled")
  void l8Soak() {
  }

  @Test
  @Disabled("F4 needs a way to disable the listener's token renewal (RelayListener.Builder has "
      + "tokenValidity but no renewal switch) and a relay clock or 60 s wait; renewal-on part "
      + "needs 10 min (soak)")
  void f4TokenExpiry() {
  }

  @Test
  @Disabled("F5 not automated yet: LocalRelayServer.dropControlChannels(1001, …) every 60 s "
      + "during L2-style load (the hook exists)")
  void f5ForcedRecycle() {
  }

  @Test
  @Disabled("F6 not automated yet: FaultProxy latency 200±50 ms + bandwidth 1 MiB/s both ways "
      + "on the sender leg (the toxics exist)")
  void f6DegradedNetwork() {
  }

  @Test
  @Disabled("S6 not automated yet: 5,000 half-open connections need a raised ulimit -n in the "
      + "test JVM; the relay has maxPendingHandshakes/maxConnections but no per-IP cap")
  void s6ConnectionExhaustion() {
  }

  @Test
  @Disabled("S10 not automated yet: needs generated keystores (wrong host, expired, untrusted) "
      + "via keytool and a TLS relay (LocalRelayServer.Builder.tls exists)")
  void s10Tls() {
  }

  @Test
  @Disabled("S12 listener side not automated yet: a fake relay feeding the library's listener "
      + "malformed control JSON and an accept whose address points at a sentinel on 127.0.0.2")
  void s12ListenerSideJsonFuzz() {
  }
}
