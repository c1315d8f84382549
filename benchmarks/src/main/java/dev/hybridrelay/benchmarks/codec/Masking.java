package dev.hybridrelay.benchmarks.codec;


/**
 * RFC 6455 §5.3 masking, byte-by-byte (as Java-WebSocket does it) and eight bytes at a time (relay-core's
 * production loop).
 *
 * <p>The mask key is four bytes in network order. Byte {@code i} of the payload is XORed with key
 * byte {@code i % 4}. Masking is its own inverse, so the same methods unmask.
 */
public final class Masking {
  private Masking() {}

  /**
   * Byte loop with {@code i % 4}, the shape of {@code Draft_6455.createByteBufferFromFramedata}.
   *
   * @param key mask key, big-endian (first key byte in the top 8 bits)
   * @param payloadPos position of {@code off} within the frame payload (selects the key byte)
   */
  public static void maskBytewise(byte[] src, int srcOff, byte[] dst, int dstOff, int len, int key,
      int payloadPos) {
    byte[] k = {(byte) (key >>> 24), (byte) (key >>> 16), (byte) (key >>> 8), (byte) key};
    for (int i = 0; i < len; i++) {
      dst[dstOff + i] = (byte) (src[srcOff + i] ^ k[(payloadPos + i) & 3]);
    }
  }

  /**
   * Eight bytes per step: relay-core's production loop ({@code FrameMasking.mask}), so the prototype
   * codec and the benchmarks measure the code the library runs.
   *
   * @param key mask key, big-endian (first key byte in the top 8 bits)
   * @param payloadPos position of {@code srcOff} within the frame payload (selects the key byte)
   */
  public static void maskWordwise(byte[] src, int srcOff, byte[] dst, int dstOff, int len, int key,
      int payloadPos) {
    RelayDraftAccess.maskWordwise(src, srcOff, dst, dstOff, len, key, payloadPos);
  }
}
