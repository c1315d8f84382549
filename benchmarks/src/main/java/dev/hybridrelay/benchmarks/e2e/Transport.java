package dev.hybridrelay.benchmarks.e2e;

/** The paths an in-process end-to-end benchmark can take, from baseline to full relay. */
public enum Transport {
  /** Client socket straight to the server socket on 127.0.0.1 (the floor). */
  TCP_DIRECT,
  /** Through {@link TcpProxy}, a plain blocking one-hop Java proxy (the baseline to beat). */
  TCP_PROXY,
  /**
   * Through three {@link TcpProxy} hops in a row (client → proxy → proxy → proxy → server), the same
   * hops as {@link #RELAY_FORWARDER}; in one process here, where e2e.sh runs three processes.
   */
  TCP_PROXY3,
  /** RelaySender → LocalRelayServer → RelayListener, using the RelayConnection streams. */
  RELAY,
  /** RelaySocket → LocalRelayServer → RelayServerSocket. */
  RELAY_SOCKET,
  /** TCP → LocalForwarder → LocalRelayServer → RemoteForwarder → TCP server. */
  RELAY_FORWARDER
}
