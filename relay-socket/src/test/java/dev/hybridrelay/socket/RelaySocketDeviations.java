package dev.hybridrelay.socket;

/**
 * Where relay sockets cannot behave like the JDK's, and why. Each reason is documented on the site's
 * Sockets page; the contract suite skips only these assertions for relay sockets.
 */
final class RelaySocketDeviations {
  private RelaySocketDeviations() {}

  static String reason(SocketContractTest.Behaviour behaviour) {
    switch (behaviour) {
      case URGENT_DATA:
        return "Relay sockets have no out-of-band channel: the relay forwards only WebSocket messages, so "
            + "sendUrgentData throws SocketException (asserted) instead of sending";
      case CLIENT_REMOTE_ADDRESS_IS_SERVER_ADDRESS:
        return "Both ends dial out to the relay: a sender's remote address is the relay's (or the host:port it "
            + "asked for), not the listener's local address, which does not exist";
      default:
        return null;
    }
  }
}
