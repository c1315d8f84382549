package dev.hybridrelay.forward.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * azbridge's datagram framing inside a relay connection in datagram mode: every datagram travels as
 * a 2-byte big-endian length followed by that many payload bytes. The frames form a byte stream;
 * relay message boundaries carry no meaning (a frame may span messages, a message may hold several
 * frames), so the {@link Decoder} never relies on them.
 *
 * <p>The largest payload is {@link #MAX_DATAGRAM} bytes, the largest UDP payload over IPv4. A length
 * above it is a protocol violation: the decoder throws and the flow must be closed, since nothing
 * after a bad length can be trusted.
 */
public final class DatagramFraming {
  /** The largest datagram payload accepted and forwarded: 65,535 - 8 (UDP) - 20 (IPv4) bytes. */
  public static final int MAX_DATAGRAM = 65_507;
  /** Bytes of the length prefix. */
  public static final int HEADER = 2;

  private DatagramFraming() {}

  /** Writes the 2-byte length of a payload of {@code length} bytes at {@code buf}'s position. */
  public static void putHeader(ByteBuffer buf, int length) {
    if (length < 0 || length > MAX_DATAGRAM) {
      throw new IllegalArgumentException("A datagram must be 0-" + MAX_DATAGRAM + " bytes, but was " + length);
    }
    buf.put((byte) (length >>> 8)).put((byte) length);
  }

  /** One frame (header and a copy of the payload), ready to send. */
  public static ByteBuffer frame(ByteBuffer payload) {
    ByteBuffer b = ByteBuffer.allocate(HEADER + payload.remaining());
    putHeader(b, payload.remaining());
    b.put(payload.duplicate()).flip();
    return b;
  }

  /** A frame length above {@link #MAX_DATAGRAM}: the stream is corrupt or hostile. */
  public static final class MalformedFrameException extends IOException {
    private final int length;

    MalformedFrameException(int length) {
      super("the peer sent a datagram frame of " + length + " bytes; at most " + MAX_DATAGRAM
          + " are allowed (is the peer an azbridge-compatible forwarder?)");
      this.length = length;
    }

    /** The length the peer announced. */
    public int length() {
      return length;
    }
  }

  /**
   * Cuts a byte stream back into datagrams. Not thread-safe: one decoder per flow, fed from one
   * thread at a time. Holds at most one partial datagram ({@link #MAX_DATAGRAM} bytes), allocated
   * only while a frame spans chunks.
   */
  public static final class Decoder {
    private int headerBytes; // 0, 1 or 2 bytes of the current header seen
    private int length; // the current frame's payload length, once headerBytes == 2
    private ByteBuffer partial; // payload collected so far, when a frame spans chunks
    private boolean failed;

    /**
     * Consumes all of {@code chunk}, passing each complete datagram to {@code sink} (a buffer that
     * is valid only during the call).
     *
     * @throws MalformedFrameException if a frame announces more than {@link #MAX_DATAGRAM} bytes;
     *     the decoder is unusable afterwards
     */
    public void feed(ByteBuffer chunk, Consumer<ByteBuffer> sink) throws MalformedFrameException {
      if (failed) {
        throw new IllegalStateException("The decoder failed before");
      }
      while (chunk.hasRemaining()) {
        if (headerBytes < HEADER) {
          length = (length << 8) | (chunk.get() & 0xff);
          if (++headerBytes < HEADER) {
            continue;
          }
          if (length > MAX_DATAGRAM) {
            failed = true;
            throw new MalformedFrameException(length);
          }
        }
        if (partial == null && chunk.remaining() >= length) {
          ByteBuffer d = chunk.slice();
          d.limit(length);
          chunk.position(chunk.position() + length);
          next();
          sink.accept(d);
          continue;
        }
        if (partial == null) {
          partial = ByteBuffer.allocate(length);
        }
        int n = Math.min(partial.remaining(), chunk.remaining());
        ByteBuffer part = chunk.slice();
        part.limit(n);
        partial.put(part);
        chunk.position(chunk.position() + n);
        if (!partial.hasRemaining()) {
          ByteBuffer d = partial.flip();
          partial = null;
          next();
          sink.accept(d);
        }
      }
    }

    private void next() {
      headerBytes = 0;
      length = 0;
    }

    /** Whether a frame is partly received (its header or payload incomplete). */
    public boolean inFrame() {
      return headerBytes > 0;
    }
  }
}
