package dev.hybridrelay.core.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import org.java_websocket.enums.Opcode;
import org.java_websocket.framing.Framedata;

/**
 * RFC 6455 frame encoding for {@link RelayDraft}: the header written directly and the payload masked
 * eight bytes at a time.
 *
 * <p>Java-WebSocket's {@code Draft_6455.createByteBufferFromFramedata} masks byte by byte through
 * {@code ByteBuffer.get}/{@code put} and calls {@code SecureRandom.nextInt()} for every frame; under
 * bulk load that loop was 85–98 % of the sending thread's CPU. This class produces frames with the
 * same layout (FIN, RSV bits, opcode, shortest length form, mask key, payload), into exactly one
 * buffer per frame, with no intermediate copy: a pooled direct buffer for masked frames over 1,000
 * bytes ({@link BufferPool#FRAMES}), a heap buffer otherwise.
 *
 * <p>Masking (RFC 6455 §5.3): payload byte {@code i} is XORed with key byte {@code i % 4}. The mask key
 * is a big-endian {@code int} (first key byte in the top 8 bits). Masking is its own inverse.
 *
 * <p>Public (in an internal package, no compatibility promise) only so that the benchmarks measure
 * {@link #mask} rather than a copy.
 */
public final class FrameMasking {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final boolean LITTLE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private FrameMasking() {}

  /** Header length for a payload of {@code len} bytes: 2, 4 or 10 bytes, plus 4 for a mask key. */
  static int headerLength(int len, boolean masked) {
    int n = len <= 125 ? 2 : len <= 0xFFFF ? 4 : 10;
    return masked ? n + 4 : n;
  }

  /**
   * Encodes {@code frame} as one buffer, with the same side effect on the frame's payload buffer as
   * Java-WebSocket's encoder: when masking, its position moves to its limit; otherwise it ends at
   * position 0 with its limit unchanged (the base class reads it, then flips it).
   *
   * @param mask whether to mask (client role)
   * @param keys source of mask keys; only used when masking
   */
  static ByteBuffer encode(Framedata frame, boolean mask, MaskKeys keys) {
    ByteBuffer mes = frame.getPayloadData();
    int len = mes.remaining();
    int key = mask ? keys.next() : 0;
    int b0 = (frame.isFin() ? 0x80 : 0) | opcode(frame.getOpcode());
    if (frame.isRSV1()) {
      b0 |= 0x40;
    }
    if (frame.isRSV2()) {
      b0 |= 0x20;
    }
    if (frame.isRSV3()) {
      b0 |= 0x10;
    }
    int total = headerLength(len, mask) + len;
    if (mask && BufferPool.FRAMES.fits(total)) {
      return encodeDirect(mes, b0, len, key, total);
    }
    byte[] out = new byte[total];
    int h = writeHeader(out, b0, len, mask, key);
    if (mes.hasArray()) {
      int off = mes.arrayOffset() + mes.position();
      if (mask) {
        mask(mes.array(), off, out, h, len, key, 0);
      } else {
        System.arraycopy(mes.array(), off, out, h, len);
      }
    } else {
      mes.duplicate().get(out, h, len);
      if (mask) {
        mask(out, h, out, h, len, key, 0);
      }
    }
    mes.position(mes.limit());
    if (!mask) {
      mes.flip();
    }
    return ByteBuffer.wrap(out);
  }

  /**
   * A masked binary frame (FIN set, no RSV bits) of {@code src[off..off+len)}: the same bytes as
   * {@link #encode} gives for a Java-WebSocket {@code BinaryFrame} with that payload, without the
   * frame object, its empty payload buffer or a wrapping buffer. Pooled direct buffer over 1,000 bytes.
   */
  static ByteBuffer encodeMaskedBinary(byte[] src, int off, int len, MaskKeys keys) {
    return encodeMasked(0x80 | 0x2, src, off, len, keys);
  }

  /**
   * A masked text frame (FIN set) of the UTF-8 bytes {@code src[off..off+len)}, which the caller
   * guarantees to be well-formed (they come from {@link String#getBytes}); otherwise as {@link
   * #encodeMaskedBinary(byte[], int, int, MaskKeys)}.
   */
  static ByteBuffer encodeMaskedText(byte[] src, int off, int len, MaskKeys keys) {
    return encodeMasked(0x80 | 0x1, src, off, len, keys);
  }

  private static ByteBuffer encodeMasked(int b0, byte[] src, int off, int len, MaskKeys keys) {
    int key = keys.next();
    int total = headerLength(len, true) + len;
    if (BufferPool.FRAMES.fits(total)) {
      return encodeDirect(src, off, null, b0, len, key, total);
    }
    byte[] out = new byte[total];
    int h = writeHeader(out, b0, len, true, key);
    mask(src, off, out, h, len, key, 0);
    return ByteBuffer.wrap(out);
  }

  /** As {@link #encodeMaskedBinary(byte[], int, int, MaskKeys)} for the remaining bytes of {@code mes}, which are consumed. */
  static ByteBuffer encodeMaskedBinary(ByteBuffer mes, MaskKeys keys) {
    if (mes.hasArray()) {
      ByteBuffer out = encodeMaskedBinary(mes.array(), mes.arrayOffset() + mes.position(), mes.remaining(), keys);
      mes.position(mes.limit());
      return out;
    }
    int len = mes.remaining();
    int key = keys.next();
    int total = headerLength(len, true) + len;
    if (BufferPool.FRAMES.fits(total)) {
      ByteBuffer out = encodeDirect(null, 0, mes, 0x82, len, key, total);
      mes.position(mes.limit());
      return out;
    }
    byte[] out = new byte[total];
    int h = writeHeader(out, 0x82, len, true, key);
    mes.duplicate().get(out, h, len);
    mask(out, h, out, h, len, key, 0);
    mes.position(mes.limit());
    return ByteBuffer.wrap(out);
  }

  /** Writes a frame header into {@code dst} at 0 (absolute puts); returns its length. */
  private static int writeHeader(ByteBuffer dst, int b0, int len, int key) {
    dst.put(0, (byte) b0);
    int p;
    if (len <= 125) {
      dst.put(1, (byte) (0x80 | len));
      p = 2;
    } else if (len <= 0xFFFF) {
      dst.put(1, (byte) (0x80 | 126));
      dst.put(2, (byte) (len >>> 8));
      dst.put(3, (byte) len);
      p = 4;
    } else {
      dst.put(1, (byte) (0x80 | 127));
      dst.putInt(2, 0);
      dst.put(6, (byte) (len >>> 24));
      dst.put(7, (byte) (len >>> 16));
      dst.put(8, (byte) (len >>> 8));
      dst.put(9, (byte) len);
      p = 10;
    }
    dst.put(p, (byte) (key >>> 24));
    dst.put(p + 1, (byte) (key >>> 16));
    dst.put(p + 2, (byte) (key >>> 8));
    dst.put(p + 3, (byte) key);
    return p + 4;
  }

  /** A masked frame into a pooled direct buffer (see {@link BufferPool#FRAMES}); same result as the heap path. */
  private static ByteBuffer encodeDirect(ByteBuffer mes, int b0, int len, int key, int total) {
    if (mes.hasArray()) {
      ByteBuffer out = encodeDirect(mes.array(), mes.arrayOffset() + mes.position(), null, b0, len, key, total);
      mes.position(mes.limit());
      return out;
    }
    ByteBuffer out = encodeDirect(null, 0, mes, b0, len, key, total);
    mes.position(mes.limit());
    return out;
  }

  /** The payload comes from {@code array[off..]} if not null, else from {@code mes} (not moved). */
  private static ByteBuffer encodeDirect(byte[] array, int arrayOff, ByteBuffer mes, int b0, int len, int key,
      int total) {
    ByteBuffer out = BufferPool.FRAMES.acquire(total).order(ByteOrder.nativeOrder());
    int h = writeHeader(out, b0, len, key);
    if (array != null) {
      maskInto(array, arrayOff, out, h, len, key);
    } else {
      maskInto(mes.duplicate().order(ByteOrder.nativeOrder()), mes.position(), out, h, len, key);
    }
    return out.order(ByteOrder.BIG_ENDIAN);
  }

  /*
   * The two loops below are methods of their own, each with one loop and its tail: inside
   * encodeDirect, with both payload kinds in one method, the same loop ran slower: a masked 64 KiB
   * frame into a pooled direct buffer, 136,000 against 213,000 frames/s (0.64×; FrameCodecBenchmark
   * relayDraftEncodePooled, old and new code alternating; the Performance page, "In-process bulk,
   * third round").
   */

  /** Masks {@code src[off..off+len)} into {@code out} (native order) from {@code h}. */
  private static void maskInto(byte[] src, int off, ByteBuffer out, int h, int len, int key) {
    long mask64 = mask64(key);
    int i = 0;
    int end = len - 7;
    for (; i < end; i += 8) {
      out.putLong(h + i, (long) LONGS.get(src, off + i) ^ mask64);
    }
    for (; i < len; i++) {
      out.put(h + i, (byte) (src[off + i] ^ (key >>> (24 - ((i & 3) << 3)))));
    }
  }

  /** Masks {@code len} bytes of {@code src} (native order) from {@code off} into {@code out} from {@code h}. */
  private static void maskInto(ByteBuffer src, int off, ByteBuffer out, int h, int len, int key) {
    long mask64 = mask64(key);
    int i = 0;
    int end = len - 7;
    for (; i < end; i += 8) {
      out.putLong(h + i, src.getLong(off + i) ^ mask64);
    }
    for (; i < len; i++) {
      out.put(h + i, (byte) (src.get(off + i) ^ (key >>> (24 - ((i & 3) << 3)))));
    }
  }

  /** Writes a frame header at {@code dst[0]} with first byte {@code b0}; returns its length. */
  static int writeHeader(byte[] dst, int b0, int len, boolean masked, int key) {
    int p = 0;
    dst[p++] = (byte) b0;
    int m = masked ? 0x80 : 0;
    if (len <= 125) {
      dst[p++] = (byte) (m | len);
    } else if (len <= 0xFFFF) {
      dst[p++] = (byte) (m | 126);
      dst[p++] = (byte) (len >>> 8);
      dst[p++] = (byte) len;
    } else {
      dst[p++] = (byte) (m | 127);
      dst[p++] = 0;
      dst[p++] = 0;
      dst[p++] = 0;
      dst[p++] = 0;
      dst[p++] = (byte) (len >>> 24);
      dst[p++] = (byte) (len >>> 16);
      dst[p++] = (byte) (len >>> 8);
      dst[p++] = (byte) len;
    }
    if (masked) {
      dst[p++] = (byte) (key >>> 24);
      dst[p++] = (byte) (key >>> 16);
      dst[p++] = (byte) (key >>> 8);
      dst[p++] = (byte) key;
    }
    return p;
  }

  /**
   * Masks (or unmasks) {@code len} bytes from {@code src} into {@code dst}, eight bytes per step; the
   * ragged tail goes byte by byte. {@code src} and {@code dst} may be the same range.
   *
   * @param key mask key, big-endian
   * @param payloadPos position of {@code src[srcOff]} within the frame payload (selects the key byte)
   */
  public static void mask(byte[] src, int srcOff, byte[] dst, int dstOff, int len, int key,
      long payloadPos) {
    // Rotate the key so that its first byte lines up with src[srcOff].
    int rot = Integer.rotateLeft(key, (int) (payloadPos & 3) * 8);
    long mask64 = mask64(rot);
    int i = 0;
    int end = len - 7;
    for (; i < end; i += 8) {
      long v = (long) LONGS.get(src, srcOff + i);
      LONGS.set(dst, dstOff + i, v ^ mask64);
    }
    for (; i < len; i++) {
      dst[dstOff + i] = (byte) (src[srcOff + i] ^ (rot >>> (24 - ((i & 3) << 3))));
    }
  }

  /** The 8-byte mask as read through {@link #LONGS}: the four key bytes twice, in array order. */
  static long mask64(int key) {
    long be = ((long) key << 32) | (key & 0xFFFF_FFFFL);
    return LITTLE ? Long.reverseBytes(be) : be;
  }

  static int opcode(Opcode op) {
    switch (op) {
      case CONTINUOUS:
        return 0x0;
      case TEXT:
        return 0x1;
      case BINARY:
        return 0x2;
      case CLOSING:
        return 0x8;
      case PING:
        return 0x9;
      case PONG:
        return 0xA;
      default:
        throw new IllegalArgumentException("Unknown opcode " + op);
    }
  }

  /**
   * Mask keys from a {@link SecureRandom}, fetched in batches (4, 64, then 256 keys), so that a
   * frame costs an array read instead of a {@code SecureRandom.nextInt()} call. Thread-safe: Java-WebSocket encodes on the
   * caller's thread, so data, ping and close frames of one connection can be encoded concurrently.
   */
  static final class MaskKeys {
    /** Bytes of the first fill: 4 keys, enough for a short connection (data, Close). */
    static final int FIRST = 16;
    /** Bytes of the second fill. */
    static final int SECOND = 256;
    /** Bytes of every later fill. */
    static final int LATER = 1024;
    private final SecureRandom random;
    private byte[] pool = new byte[0];
    private int pos;

    MaskKeys(SecureRandom random) {
      this.random = random;
    }

    /**
     * The next key. The pool grows 16, 256, then 1,024 bytes: the generator's cost grows with the
     * bytes asked for, and a 1,024-byte first fill cost a forwarder about 3.5 % of its CPU time
     * under a load of short connections (Performance page, "Connection set-up (fourth round)").
     */
    synchronized int next() {
      if (pos == pool.length) {
        int size = pool.length == 0 ? FIRST : pool.length == FIRST ? SECOND : LATER;
        if (size != pool.length) {
          pool = new byte[size];
        }
        random.nextBytes(pool);
        pos = 0;
      }
      byte[] p = pool;
      int i = pos;
      int k = ((p[i] & 0xFF) << 24) | ((p[i + 1] & 0xFF) << 16) | ((p[i + 2] & 0xFF) << 8) | (p[i + 3] & 0xFF);
      pos = i + 4;
      return k;
    }
  }
}
