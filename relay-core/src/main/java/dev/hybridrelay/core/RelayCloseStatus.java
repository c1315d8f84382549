package dev.hybridrelay.core;

/**
 * How a relayed connection ended.
 *
 * @param code the WebSocket close code (1000 normal, 1001 going away, 1006 abnormal: no Close
 *     frame, 1008 policy, 1009 too big, 1011 error)
 * @param reason the close reason sent by the peer or relay, possibly empty
 * @param clean whether the connection ended cleanly, that is: all the peer's data arrived and the
 *     input reported end-of-stream. True when the peer closed with 1000, or with 1001 after our
 *     output had been shut down (see {@link RelayConnection}, "Close codes")
 */
public record RelayCloseStatus(int code, String reason, boolean clean) {
  /** The status of a clean close or shutdown (1000). */
  public static RelayCloseStatus normal(String reason) {
    return new RelayCloseStatus(1000, reason, true);
  }
}
