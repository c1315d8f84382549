package dev.hybridrelay.core.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * TLS over a {@link SocketChannel} with an {@link SSLEngine}: a blocking handshake on the connecting
 * thread, then non-blocking record reads and writes driven by the {@link IoLoop}.
 *
 * <p>Not thread-safe by itself: {@link #read} runs on the loop thread only, {@link #write} under the
 * owner's write lock (which also sends the engine's own records when {@code read} asks for them). The
 * engine's own locks keep wrap and unwrap apart.
 */
final class TlsSession {
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
  /** Records encrypted into one socket write in bulk. */
  static final int WRITE_RECORDS = 4;

  private final SSLEngine engine;
  private ByteBuffer netIn;
  private ByteBuffer appIn;
  private ByteBuffer netOut;

  TlsSession(SSLEngine engine) {
    this.engine = engine;
    int packet = engine.getSession().getPacketBufferSize();
    int app = engine.getSession().getApplicationBufferSize();
    this.netIn = ByteBuffer.allocateDirect(packet);
    this.appIn = ByteBuffer.allocate(app);
    this.netOut = ByteBuffer.allocateDirect(packet);
    netOut.flip(); // empty, in read mode
  }

  /** Runs the handshake on a blocking channel. */
  void handshake(SocketChannel channel) throws IOException {
    engine.beginHandshake();
    HandshakeStatus hs = engine.getHandshakeStatus();
    while (hs != HandshakeStatus.FINISHED && hs != HandshakeStatus.NOT_HANDSHAKING) {
      switch (hs) {
        case NEED_WRAP: {
          netOut.clear();
          SSLEngineResult r = engine.wrap(EMPTY, netOut);
          netOut.flip();
          while (netOut.hasRemaining()) {
            channel.write(netOut);
          }
          if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new SSLException("The TLS peer closed during the handshake");
          }
          hs = r.getHandshakeStatus();
          break;
        }
        case NEED_UNWRAP:
        case NEED_UNWRAP_AGAIN: {
          netIn.flip();
          SSLEngineResult r = engine.unwrap(netIn, appIn);
          netIn.compact();
          switch (r.getStatus()) {
            case BUFFER_UNDERFLOW:
              if (!netIn.hasRemaining()) {
                netIn = grow(netIn, engine.getSession().getPacketBufferSize());
              }
              if (channel.read(netIn) < 0) {
                throw new EOFException("The TLS peer closed the connection during the handshake");
              }
              break;
            case BUFFER_OVERFLOW:
              appIn = grow(appIn, engine.getSession().getApplicationBufferSize());
              break;
            case CLOSED:
              throw new SSLException("The TLS peer closed during the handshake");
            default:
              break;
          }
          hs = r.getHandshakeStatus();
          break;
        }
        case NEED_TASK:
          runTasks();
          hs = engine.getHandshakeStatus();
          break;
        default:
          throw new SSLException("Unexpected TLS handshake state " + hs);
      }
    }
    netOut.clear().flip();
  }

  private void runTasks() {
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) {
      task.run();
    }
  }

  private static ByteBuffer grow(ByteBuffer b, int atLeast) {
    ByteBuffer bigger = b.isDirect()
        ? ByteBuffer.allocateDirect(Math.max(atLeast, b.capacity() * 2))
        : ByteBuffer.allocate(Math.max(atLeast, b.capacity() * 2));
    b.flip();
    bigger.put(b);
    return bigger;
  }

  /**
   * Reads what the channel has, decrypts it and hands each plaintext chunk to {@code sink} (the
   * buffer is reused after the call returns). Non-blocking.
   *
   * <p>The socket is read into {@code in}, the loop's shared read buffer, so that one read takes
   * several TLS records; only the tail of an incomplete record is kept by the session (in its own
   * small buffer) until the next read. Plaintext goes to {@code plain}, the loop's shared buffer.
   *
   * @param in the loop's read buffer (contents not kept); used only when it can hold a record
   * @param plain the loop's plaintext buffer, at least {@link #applicationBufferSize()} bytes
   * @param wrapNeeded called when the engine must send records of its own (key update, close)
   * @return false once the peer closed (TCP end of stream or TLS close_notify)
   */
  boolean read(SocketChannel channel, ByteBuffer in, ByteBuffer plain, Consumer<ByteBuffer> sink,
      Runnable wrapNeeded) throws IOException {
    drainAppIn(sink);
    int packet = engine.getSession().getPacketBufferSize();
    if (in.capacity() < 2 * packet || netIn.position() > in.capacity() / 2) {
      return read(channel, sink, wrapNeeded); // a record that does not fit the shared buffer
    }
    in.clear();
    if (netIn.position() > 0) {
      netIn.flip();
      in.put(netIn);
      netIn.clear();
    }
    int n = channel.read(in);
    boolean open = n >= 0;
    in.flip();
    try {
      while (in.hasRemaining()) {
        plain.clear();
        SSLEngineResult r = unwrap(in, plain, sink, wrapNeeded);
        SSLEngineResult.Status st = r.getStatus();
        if (st == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
          break;
        }
        if (st == SSLEngineResult.Status.BUFFER_OVERFLOW) {
          // the engine asks for more room than the shared buffer has: finish on the session's own
          netIn.clear();
          netIn = ensure(netIn, in.remaining());
          netIn.put(in);
          return read(channel, sink, wrapNeeded) && open;
        }
        if (st == SSLEngineResult.Status.CLOSED) {
          open = false;
          break;
        }
        if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
          break;
        }
      }
    } finally {
      if (in.hasRemaining()) { // the start of a record: kept for the next read
        netIn = ensure(netIn, netIn.position() + in.remaining());
        netIn.put(in);
      }
    }
    return open;
  }

  /** The size a plaintext buffer needs for one record. */
  int applicationBufferSize() {
    return engine.getSession().getApplicationBufferSize();
  }

  private static ByteBuffer ensure(ByteBuffer b, int capacity) {
    return b.capacity() >= capacity ? b : grow(b, capacity);
  }

  /** Reads into the session's own buffer: one record per read. */
  private boolean read(SocketChannel channel, Consumer<ByteBuffer> sink, Runnable wrapNeeded) throws IOException {
    drainAppIn(sink);
    int n = channel.read(netIn);
    boolean open = n >= 0;
    netIn.flip();
    try {
      while (netIn.hasRemaining()) {
        SSLEngineResult r = unwrap(netIn, appIn, sink, wrapNeeded);
        SSLEngineResult.Status st = r.getStatus();
        if (st == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
          if (netIn.limit() == netIn.capacity() && netIn.position() == 0) {
            netIn.compact();
            netIn = grow(netIn, engine.getSession().getPacketBufferSize());
            netIn.flip();
          }
          break;
        }
        if (st == SSLEngineResult.Status.BUFFER_OVERFLOW) {
          appIn = ByteBuffer.allocate(Math.max(appIn.capacity() * 2, engine.getSession().getApplicationBufferSize()));
          continue;
        }
        if (st == SSLEngineResult.Status.CLOSED) {
          open = false;
          break;
        }
        if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
          break;
        }
      }
    } finally {
      netIn.compact();
    }
    return open;
  }

  /**
   * One record: decrypts from {@code src} into {@code dst} (empty, in write mode), hands what it
   * produced to {@code sink} and leaves {@code dst} empty again, then runs the engine's tasks and lets
   * it send records of its own.
   */
  private SSLEngineResult unwrap(ByteBuffer src, ByteBuffer dst, Consumer<ByteBuffer> sink,
      Runnable wrapNeeded) throws SSLException {
    SSLEngineResult r = engine.unwrap(src, dst);
    drain(dst, sink);
    if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
      runTasks();
    }
    if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
      wrapNeeded.run();
    }
    return r;
  }

  private void drainAppIn(Consumer<ByteBuffer> sink) {
    drain(appIn, sink);
  }

  private static void drain(ByteBuffer b, Consumer<ByteBuffer> sink) {
    if (b.position() > 0) {
      b.flip();
      sink.accept(b);
      b.clear();
    }
  }

  /** True while encrypted bytes wait for the socket. */
  boolean hasPendingOutput() {
    return netOut.hasRemaining();
  }

  /**
   * Writes pending records, then encrypts and writes from {@code srcs} until the socket stops
   * taking bytes or everything is written. Non-blocking.
   *
   * <p>Up to {@link #WRITE_RECORDS} records are encrypted back to back and written with one system
   * call. The session starts with room for one record and takes the larger buffer only when more
   * than one record's worth of plaintext is waiting (bulk), so that idle and chatty connections keep
   * the small one.
   *
   * @return the plaintext bytes consumed from {@code srcs}
   */
  long write(SocketChannel channel, ByteBuffer[] srcs, int offset, int length) throws IOException {
    long consumed = 0;
    int packet = engine.getSession().getPacketBufferSize();
    while (true) {
      if (netOut.hasRemaining()) {
        channel.write(netOut);
        if (netOut.hasRemaining()) {
          return consumed;
        }
      }
      long waiting = remaining(srcs, offset, length);
      if (waiting == 0 && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
        return consumed;
      }
      if (waiting > packet && netOut.capacity() < WRITE_RECORDS * packet) {
        netOut = ByteBuffer.allocateDirect(WRITE_RECORDS * packet);
      }
      netOut.clear();
      try {
        while (netOut.remaining() >= packet) {
          SSLEngineResult r = engine.wrap(srcs, offset, length, netOut);
          if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
            runTasks();
          }
          if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new SSLException("The TLS session is closed");
          }
          consumed += r.bytesConsumed();
          if ((r.bytesProduced() == 0 && r.bytesConsumed() == 0)
              || r.getStatus() != SSLEngineResult.Status.OK
              || (!hasRemaining(srcs, offset, length) && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP)) {
            break;
          }
        }
      } finally {
        netOut.flip();
      }
      if (!netOut.hasRemaining()) {
        return consumed;
      }
    }
  }

  private static long remaining(ByteBuffer[] srcs, int offset, int length) {
    long n = 0;
    for (int i = offset; i < offset + length; i++) {
      n += srcs[i].remaining();
    }
    return n;
  }

  private static boolean hasRemaining(ByteBuffer[] srcs, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      if (srcs[i].hasRemaining()) {
        return true;
      }
    }
    return false;
  }
}
