package dev.hybridrelay.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Unmasking of client frame payloads in place, in the buffer they were read into (RFC 6455 §5.3:
 * byte {@code i} of the payload XOR key byte {@code i % 4}); used by {@link StreamSpliceHandler} and
 * {@link StreamingFrameDecoder}. Public for the benchmarks only; not an API.
 */
public final class FrameUnmasking {
  private FrameUnmasking() {}

  /**
   * XORs {@code buf}'s readable bytes with the mask, the first byte being byte {@code offset} of the
   * frame payload; see {@link #unmask(ByteBuf, int, int, int, long)}.
   */
  public static void unmask(ByteBuf buf, int maskKey, long offset) {
    unmask(buf, buf.readerIndex(), buf.readableBytes(), maskKey, offset);
  }

  /**
   * As {@link #unmask(ByteBuf, int, long)} for {@code len} bytes from {@code index}, eight bytes per
   * step. A buffer with a memory address (the pooled direct read buffers of the epoll and NIO
   * transports) is unmasked through Netty's raw memory access, after one bounds check of the whole
   * range; others through their internal NIO view (absolute big-endian access, so the shared view's
   * byte order is left alone), or byte by byte (composite buffers). The raw loop unmasks 16 KiB at
   * 1.9× and 64 KiB at 2.3× the speed of the view loop ({@code UnmaskBenchmark}, one run; the
   * Performance page, "In-process bulk, third round"). Not through {@code ByteBuf.getLongLE}: that
   * call site sees several buffer classes in the relay, is not inlined, and made the in-process bulk
   * benchmark slower.
   *
   * @throws IndexOutOfBoundsException if the range is not inside the buffer's capacity
   */
  public static void unmask(ByteBuf buf, int index, int len, int maskKey, long offset) {
    if (len == 0) {
      return;
    }
    Objects.checkFromIndexSize(index, len, buf.capacity());
    int shift = (int) (offset & 3);
    int rotated = shift == 0 ? maskKey : Integer.rotateLeft(maskKey, 8 * shift);
    long maskBE = ((long) rotated << 32) | (rotated & 0xFFFFFFFFL); // the key bytes in wire order
    int words = len & ~7;
    if (buf.hasMemoryAddress() && PlatformDependent.isUnaligned()) {
      unmaskAt(buf.memoryAddress() + index, words,
          PlatformDependent.BIG_ENDIAN_NATIVE_ORDER ? maskBE : Long.reverseBytes(maskBE));
    } else if (buf.nioBufferCount() == 1) {
      ByteBuffer nb = buf.internalNioBuffer(index, len);
      unmaskView(nb, nb.position(), words, maskBE);
    } else {
      words = 0;
    }
    for (int i = words; i < len; i++) {
      int m = (rotated >>> (24 - 8 * (i & 3))) & 0xFF;
      buf.setByte(index + i, buf.getByte(index + i) ^ m);
    }
  }

  /** {@code len} (a multiple of 8) bytes at {@code address}; the range was checked by the caller. */
  private static void unmaskAt(long address, int len, long nativeMask) {
    for (int i = 0; i < len; i += 8) {
      PlatformDependent.putLong(address + i, PlatformDependent.getLong(address + i) ^ nativeMask);
    }
  }

  private static void unmaskView(ByteBuffer nb, int base, int len, long maskBE) {
    for (int i = 0; i < len; i += 8) {
      nb.putLong(base + i, nb.getLong(base + i) ^ maskBE);
    }
  }
}
