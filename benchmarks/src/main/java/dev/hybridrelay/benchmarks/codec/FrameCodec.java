package dev.hybridrelay.benchmarks.codec;

import java.security.SecureRandom;

/**
 * Minimal RFC 6455 frame codec for the binary data phase: an encoder that writes header and masked
 * payload into a caller-owned buffer, and a streaming decoder that unmasks in place and hands
 * payload slices to a {@link Sink}. Neither allocates per frame.
 *
 * <p>Header layout (RFC 6455 §5.2): byte 0 = FIN | RSV1-3 | opcode; byte 1 = MASK | len7; then a
 * 16-bit length if len7 == 126, a 64-bit length if len7 == 127; then the 4-byte mask key if MASK.
 *
 * <p>Prototype only: no extensions, no UTF-8 validation of text frames, no fragmentation policy.
 */
public final class FrameCodec {
  /** Largest header: 2 + 8 (64-bit length) + 4 (mask key). */
  public static final int MAX_HEADER = 14;
  public static final int OP_CONTINUATION = 0x0;
  public static final int OP_TEXT = 0x1;
  public static final int OP_BINARY = 0x2;
  public static final int OP_CLOSE = 0x8;
  public static final int OP_PING = 0x9;
  public static final int OP_PONG = 0xA;

  private FrameCodec() {}

  /** Header length for a payload of {@code len} bytes. */
  public static int headerLength(int len, boolean masked) {
    int n = len <= 125 ? 2 : len <= 0xFFFF ? 4 : 10;
    return masked ? n + 4 : n;
  }

  /** Writes a frame header at {@code dst[off]}; returns its length. */
  public static int writeHeader(byte[] dst, int off, int opcode, boolean fin, int len, boolean masked,
      int key) {
    int p = off;
    dst[p++] = (byte) ((fin ? 0x80 : 0) | opcode);
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
    return p - off;
  }

  /**
   * Encodes one final, masked (client → server) binary frame: header plus payload masked word-wide,
   * into {@code dst} at {@code dstOff}. {@code dst} needs {@code len + MAX_HEADER} bytes.
   *
   * @return total frame length
   */
  public static int encodeClientBinary(byte[] payload, int off, int len, int key, byte[] dst,
      int dstOff) {
    int h = writeHeader(dst, dstOff, OP_BINARY, true, len, true, key);
    Masking.maskWordwise(payload, off, dst, dstOff + h, len, key, 0);
    return h + len;
  }

  /**
   * Mask keys from a {@link SecureRandom}, fetched 256 at a time so that the per-frame cost is an
   * array read instead of a {@code SecureRandom.nextInt()} call (which Java-WebSocket makes for every
   * frame). Not thread-safe: one per connection.
   */
  public static final class MaskKeys {
    private final SecureRandom random;
    private final byte[] pool = new byte[1024];
    private int pos = pool.length;

    public MaskKeys(SecureRandom random) {
      this.random = random;
    }

    public int next() {
      if (pos == pool.length) {
        random.nextBytes(pool);
        pos = 0;
      }
      int k = ((pool[pos] & 0xFF) << 24) | ((pool[pos + 1] & 0xFF) << 16)
          | ((pool[pos + 2] & 0xFF) << 8) | (pool[pos + 3] & 0xFF);
      pos += 4;
      return k;
    }
  }

  /** Receives decoded payload. The slice is only valid during the call. */
  public interface Sink {
    /**
     * @param opcode frame opcode (continuation frames report {@link #OP_CONTINUATION})
     * @param data buffer holding unmasked payload bytes at {@code off..off+len}
     * @param frameEnd true when this slice completes the frame
     * @param fin the frame's FIN bit
     */
    void payload(int opcode, boolean fin, byte[] data, int off, int len, boolean frameEnd);
  }

  /**
   * Streaming decoder. Feed it whatever the socket read returned; headers split across reads are
   * collected in a 14-byte scratch array, payload is unmasked in place in the caller's buffer and
   * passed on without copying. One per connection; not thread-safe.
   */
  public static final class Decoder {
    private final long maxPayload;
    private final byte[] header = new byte[MAX_HEADER];
    private int headerHave;
    private int headerNeed = 2;
    private boolean inPayload;
    private int opcode;
    private boolean fin;
    private boolean masked;
    private int key;
    private long remaining;
    private long payloadPos;

    public Decoder(long maxPayload) {
      this.maxPayload = maxPayload;
    }

    /**
     * Consumes {@code buf[off..off+len)}; unmasks payload bytes in place.
     *
     * @throws IllegalStateException on a protocol error (reserved bits, oversized frame)
     */
    public void decode(byte[] buf, int off, int len, Sink sink) {
      int p = off;
      int end = off + len;
      while (p < end) {
        if (!inPayload) {
          int take = Math.min(headerNeed - headerHave, end - p);
          System.arraycopy(buf, p, header, headerHave, take);
          headerHave += take;
          p += take;
          if (headerHave < headerNeed) {
            return;
          }
          if (headerNeed == 2) {
            int b1 = header[1] & 0xFF;
            int len7 = b1 & 0x7F;
            int need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
            if (need > 2) {
              headerNeed = need;
              continue;
            }
          }
          parseHeader();
          if (remaining == 0) {
            sink.payload(opcode, fin, buf, p, 0, true);
            resetHeader();
          }
          continue;
        }
        int n = (int) Math.min(remaining, end - p);
        if (masked) {
          Masking.maskWordwise(buf, p, buf, p, n, key, (int) (payloadPos & 3));
        }
        remaining -= n;
        payloadPos += n;
        boolean done = remaining == 0;
        sink.payload(opcode, fin, buf, p, n, done);
        p += n;
        if (done) {
          resetHeader();
        }
      }
    }

    private void parseHeader() {
      int b0 = header[0] & 0xFF;
      int b1 = header[1] & 0xFF;
      if ((b0 & 0x70) != 0) {
        throw new IllegalStateException("reserved bits set");
      }
      fin = (b0 & 0x80) != 0;
      opcode = b0 & 0x0F;
      masked = (b1 & 0x80) != 0;
      int len7 = b1 & 0x7F;
      int p = 2;
      long length;
      if (len7 == 126) {
        length = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
        p = 4;
      } else if (len7 == 127) {
        length = 0;
        for (int i = 2; i < 10; i++) {
          length = (length << 8) | (header[i] & 0xFF);
        }
        p = 10;
      } else {
        length = len7;
      }
      if (length < 0 || length > maxPayload) {
        throw new IllegalStateException("frame payload of " + length + " bytes exceeds " + maxPayload);
      }
      if (masked) {
        key = ((header[p] & 0xFF) << 24) | ((header[p + 1] & 0xFF) << 16)
            | ((header[p + 2] & 0xFF) << 8) | (header[p + 3] & 0xFF);
      }
      remaining = length;
      payloadPos = 0;
      inPayload = true;
    }

    private void resetHeader() {
      inPayload = false;
      headerHave = 0;
      headerNeed = 2;
    }
  }
}
