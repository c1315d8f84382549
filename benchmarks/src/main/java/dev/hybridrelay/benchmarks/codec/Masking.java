package dev.hybridrelay.benchmarks.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * RFC 6455 §5.3 masking, byte-by-byte (as Java-WebSocket does it) and eight bytes at a time.
 *
 * <p>The mask key is four bytes in network order. Byte {@code i} of the payload is XORed with key
 * byte {@code i % 4}. Masking is its own inverse, so the same methods unmask.
 *
 * <p>The word-wide variant reads and writes {@code long}s through a byte-array view
 * {@link VarHandle} in native byte order; the 8-byte mask is built by reading the key repeated
 * twice through the same view, so the result does not depend on the byte order.
 */
public final class Masking {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final boolean LITTLE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

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
   * Eight bytes per step; a head and a tail of fewer than eight bytes go byte by byte.
   *
   * @param key mask key, big-endian (first key byte in the top 8 bits)
   * @param payloadPos position of {@code srcOff} within the frame payload (selects the key byte)
   */
  public static void maskWordwise(byte[] src, int srcOff, byte[] dst, int dstOff, int len, int key,
      int payloadPos) {
    // Rotate the key so that key byte 0 lines up with src[srcOff].
    int rot = Integer.rotateLeft(key, (payloadPos & 3) * 8);
    long mask = mask64(rot);
    int i = 0;
    int end = len - 7;
    for (; i < end; i += 8) {
      long v = (long) LONGS.get(src, srcOff + i);
      LONGS.set(dst, dstOff + i, v ^ mask);
    }
    for (; i < len; i++) {
      dst[dstOff + i] = (byte) (src[srcOff + i] ^ (rot >>> (24 - ((i & 3) << 3))));
    }
  }

  /** Builds the 8-byte mask for {@link #LONGS}: the 4 key bytes twice, in array order. */
  static long mask64(int key) {
    long be = ((long) key << 32) | (key & 0xFFFF_FFFFL);
    return LITTLE ? Long.reverseBytes(be) : be;
  }
}
