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

  private final SSLEngine engine;
  private ByteBuffer netIn;
  private ByteBuffer appIn;
  private final ByteBuffer netOut;

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
   * @param wrapNeeded called when the engine must send records of its own (key update, close)
   * @return false once the peer closed (TCP end of stream or TLS close_notify)
   */
  boolean read(SocketChannel channel, Consumer<ByteBuffer> sink, Runnable wrapNeeded) throws IOException {
    drainAppIn(sink);
    int n = channel.read(netIn);
    boolean open = n >= 0;
    netIn.flip();
    try {
      while (netIn.hasRemaining()) {
        SSLEngineResult r = engine.unwrap(netIn, appIn);
        drainAppIn(sink);
        if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
          runTasks();
        }
        if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
          wrapNeeded.run();
        }
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

  private void drainAppIn(Consumer<ByteBuffer> sink) {
    if (appIn.position() > 0) {
      appIn.flip();
      sink.accept(appIn);
      appIn.clear();
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
   * @return the plaintext bytes consumed from {@code srcs}
   */
  long write(SocketChannel channel, ByteBuffer[] srcs, int offset, int length) throws IOException {
    long consumed = 0;
    while (true) {
      if (netOut.hasRemaining()) {
        channel.write(netOut);
        if (netOut.hasRemaining()) {
          return consumed;
        }
      }
      if (!hasRemaining(srcs, offset, length) && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
        return consumed;
      }
      netOut.clear();
      SSLEngineResult r;
      try {
        r = engine.wrap(srcs, offset, length, netOut);
      } finally {
        netOut.flip();
      }
      if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
        runTasks();
      }
      if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
        throw new SSLException("The TLS session is closed");
      }
      consumed += r.bytesConsumed();
      if (r.bytesProduced() == 0 && r.bytesConsumed() == 0) {
        return consumed;
      }
    }
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
