package dev.hybridrelay.benchmarks.codec;

import dev.hybridrelay.core.internal.FrameMasking;
import dev.hybridrelay.core.internal.RelayDraft;
import java.util.List;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Role;

/**
 * Benchmark access to relay-core's frame code ({@link RelayDraft}, {@link FrameMasking}), so that the
 * benchmarks measure the production classes rather than copies.
 */
public final class RelayDraftAccess {
  private RelayDraftAccess() {}

  /** A {@link RelayDraft} in the client role, as {@code RelayWebSocket} uses it. */
  public static Draft_6455 clientDraft(int maxMessageSize) {
    RelayDraft d = new RelayDraft(maxMessageSize, List.of());
    d.setParseMode(Role.CLIENT);
    return d;
  }

  /** {@link RelayDraft#releaseFrame}: a frame back to relay-core's pool. */
  public static void release(java.nio.ByteBuffer frame) {
    RelayDraft.releaseFrame(frame);
  }

  /** {@link FrameMasking#mask}: eight bytes per step. */
  public static void maskWordwise(byte[] src, int srcOff, byte[] dst, int dstOff, int len, int key,
      long payloadPos) {
    FrameMasking.mask(src, srcOff, dst, dstOff, len, key, payloadPos);
  }
}
