package dev.hybridrelay.core;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * One relayed connection: a bidirectional byte stream between a sender and a listener, carried as
 * binary WebSocket messages through the relay.
 *
 * <h2>Streams</h2>
 * {@link #getInputStream()} returns bytes regardless of message boundaries (text messages are
 * delivered as their UTF-8 bytes). {@link #getOutputStream()} sends each {@code write} as one or more
 * binary messages of at most 64 KiB each (the message size azbridge and the
 * official SDKs use; configurable on the listener and sender builders).
 *
 * <h2>Buffering and backpressure</h2>
 * Incoming data is buffered up to a bounded receive window; when the application does not read,
 * the connection stops reading from the network, so the relay and then the peer's writes block.
 * Outgoing writes block while more than the send window is queued. Memory per connection is
 * bounded by the two windows.
 *
 * <h2>Closing</h2>
 * <ul>
 *   <li>{@link #shutdownOutput()} sends Close 1000 "Shutdown" and keeps reading, as the .NET SDK's
 *       {@code Shutdown()}: the peer reads end-of-stream, and may go on writing.
 *   <li>The input returns -1 once the peer has shut down its output or closed cleanly (see "Close
 *       codes" below).
 *   <li>{@link #close()} queues Close 1000 after the written data and returns once that reached
 *       the socket (at most 5 seconds); the close handshake then completes in the background and the
 *       connection is aborted if it has not within 5 seconds. It is idempotent and unblocks pending
 *       reads and writes on other threads, which then throw {@link java.net.SocketException}.
 *   <li>{@link #abort()} drops the connection without a close handshake; the peer sees an error,
 *       never a clean end of stream. Likewise, if the peer or the relay fails, reads and writes
 *       here throw {@link java.net.SocketException} instead of reporting a clean end.
 * </ul>
 *
 * <h2>Close codes</h2>
 * What the peer's Close frame means for the input, after the data that arrived before it has been
 * read:
 * <ul>
 *   <li><b>1000</b> (Normal Closure), at any time: end-of-stream (-1). Our output stays usable
 *       until {@link #shutdownOutput()} or {@link #close()}, as after a TCP half-close.
 *   <li><b>1001</b> (Going Away) once our output is shut down ({@link #shutdownOutput()} or
 *       {@link #close()} sent our Close 1000 first): end-of-stream (-1), as 1000. Peers such as the
 *       official Java SDK's listener answer our Close with 1001 after they have received and echoed
 *       everything.
 *   <li><b>1001 before our output is shut down</b>, and <b>any other code</b> (1002, 1006 for a
 *       TCP drop without a Close, 1008, 1009, 1011, application codes 4000–4999, …): a reset. Reads
 *       throw {@link java.net.SocketException} ("Connection reset: the peer closed with code …") and
 *       writes fail; the peer will not take what we would send next.
 * </ul>
 * {@link #closeStatus()} reports the peer's code and reason in either case, with
 * {@link RelayCloseStatus#clean()} telling which rule applied. Our own Close frames are always
 * 1000: "Shutdown" from {@link #shutdownOutput()}, "Normal Closure" from {@link #close()}.
 *
 * <h2>Threads</h2>
 * The streams may be used from one reading and one writing thread at the same time; all other
 * methods are thread-safe. A connection has no thread of its own: its socket is served by one of a
 * few shared daemon I/O threads ({@code hybridrelay-io-…}, one per processor, at most four), which read
 * it and write what the socket did not take at once. A write frames the bytes and hands them to the
 * socket on the writing thread itself; it blocks only while more than the send window is queued. The
 * I/O threads end about a second after the last connection or listener closed.
 *
 * <h2>Failures</h2>
 * A keep-alive Ping goes out every keep-alive interval; a connection that receives nothing for two
 * intervals, while it is reading and has nothing queued to send, fails with a
 * {@link java.net.SocketException}. Messages larger than the configured maximum (continuation
 * frames included) close the connection with 1009.
 */
public interface RelayConnection extends Closeable {

  /** The input stream; the same instance on every call. */
  InputStream getInputStream() throws IOException;

  /** The output stream; the same instance on every call. */
  OutputStream getOutputStream() throws IOException;

  /** Sends Close 1000 "Shutdown" after all written data, and keeps the input open. Idempotent. */
  void shutdownOutput() throws IOException;

  /** Discards further incoming data; reads return -1. Idempotent. */
  void shutdownInput() throws IOException;

  /**
   * Closes cleanly (Close 1000 after all written data). Returns once the data and the Close frame
   * reached the socket, waiting at most 5 seconds; the close handshake completes in the background
   * and the connection is aborted if it has not within 5 seconds. Idempotent.
   */
  @Override
  void close() throws IOException;

  /** Drops the connection at once without a close handshake. Idempotent. */
  void abort();

  /**
   * Sets the read timeout: a read that waits longer throws {@link java.net.SocketTimeoutException}
   * and the connection stays usable. {@link Duration#ZERO} (the default) waits forever.
   */
  void setReadTimeout(Duration timeout);

  /** The current read timeout; {@link Duration#ZERO} means none. */
  Duration getReadTimeout();

  /** Whether {@link #close()} or {@link #abort()} was called, or the connection failed. */
  boolean isClosed();

  /** Whether {@link #shutdownInput()} was called. */
  boolean isInputShutdown();

  /** Whether {@link #shutdownOutput()} was called. */
  boolean isOutputShutdown();

  /** The relay's tracking id for this connection (as in the relay's error texts), for logs. */
  String trackingId();

  /**
   * The peer's address: on the listener side the sender's address as seen by the relay (the
   * {@code remoteEndpoint} of the accept message); on the sender side the relay's address.
   */
  InetSocketAddress remoteAddress();

  /** The local end of the underlying TCP connection. */
  InetSocketAddress localAddress();

  /** The negotiated WebSocket sub-protocol, if any. */
  Optional<String> subprotocol();

  /**
   * On the listener side, the sender's handshake headers (case-insensitive keys, token removed);
   * empty on the sender side.
   */
  Map<String, String> requestHeaders();

  /** How the connection ended, once the peer's Close arrived or the connection failed. */
  Optional<RelayCloseStatus> closeStatus();
}
