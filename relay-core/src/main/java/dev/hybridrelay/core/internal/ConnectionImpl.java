package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayCloseStatus;
import dev.hybridrelay.core.RelayConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A relayed connection, shared by sender and listener: streams over one {@link RelayWebSocket}.
 *
 * <p><b>Receive path.</b> The socket's I/O loop appends each message to a queue and never waits: once
 * the receive window is full it stops reading the TCP socket ({@link RelayWebSocket#pauseReading()}),
 * the kernel window fills and the relay (and then the peer) must wait. Reading resumes when readers
 * have taken the queue down to half the window. Readers take bytes regardless of message boundaries.
 *
 * <p><b>Send path.</b> Writes are cut into binary messages of at most {@code maxMessageSize} bytes,
 * framed and written to the socket by the writing thread itself; what the kernel does not take at once
 * is queued and written by the I/O loop. A writer waits while more than the send window is queued;
 * the loop wakes it as the queue drains.
 *
 * <p><b>Closing.</b> {@code shutdownOutput} queues Close 1000 "Shutdown" after the data. The peer's
 * Close is end-of-stream for the input ({@link #endsCleanly}) when its code is 1000, or 1001 once our
 * output is shut down (the answer of peers such as the official Java SDK's listener to our Close);
 * any other close code (1001 before our half-close included), a TCP drop, a keep-alive timeout or a
 * too-big message is a failure: reads then return what arrived before it and throw {@link
 * SocketException}, writes throw, and the input never reports a clean end. Locks are never held while calling into Java-WebSocket methods that
 * synchronize on the engine (close paths), which call back into this class.
 */
public final class ConnectionImpl implements RelayConnection, RelayWebSocket.Handler,
    RelayWebSocket.SendProgressListener {
  private static final Logger log = LoggerFactory.getLogger(ConnectionImpl.class);
  /** How long the close handshake started by {@link #close()} may take before the connection is aborted. */
  static final long CLOSE_TIMEOUT_MILLIS = 5_000;
  /** How long to wait for the relay to drop TCP once both Close frames have been exchanged. */
  static final long LINGER_MILLIS = 2_000;

  private final RelayWebSocket ws;
  private final int receiveWindow;
  private final int sendWindow;
  private final int maxMessageSize;
  private final long keepAliveMillis;
  private final InetSocketAddress remoteAddress;
  private final Map<String, String> requestHeaders;
  private final String trackingId;
  private volatile Consumer<ConnectionImpl> onFinished;

  private final ReentrantLock recvLock = new ReentrantLock();
  private final Condition readable = recvLock.newCondition();
  private final ArrayDeque<ByteBuffer> received = new ArrayDeque<>();
  private long buffered;
  private volatile boolean receivePaused;
  private volatile Runnable readListener;
  private volatile Runnable writeListener;

  private final ReentrantLock sendLock = new ReentrantLock();
  private final Condition sendSpace = sendLock.newCondition();
  private volatile boolean writerWaiting;

  private volatile boolean outputShutdown;
  private volatile boolean inputShutdown;
  private volatile boolean closedLocally;
  private volatile boolean peerClosedCleanly;
  /** The peer's non-clean Close was answered with ours: the close handshake is complete, not broken. */
  private volatile boolean peerCloseAnswered;
  private volatile boolean finished;
  private volatile boolean finishing;
  private volatile IOException failure;
  private volatile RelayCloseStatus closeStatus;
  private volatile Duration readTimeout = Duration.ZERO;
  private volatile ScheduledFuture<?> keepAliveTask;
  private volatile ScheduledFuture<?> lingerTask;
  private volatile ScheduledFuture<?> closeDeadlineTask;
  private boolean schedulerHeld;

  private final InputStream in = new In();
  private final OutputStream out = new Out();

  ConnectionImpl(RelayWebSocket ws, int receiveWindow, int sendWindow, int maxMessageSize, Duration keepAlive,
      InetSocketAddress remoteAddress, Map<String, String> requestHeaders, String trackingId) {
    this.ws = ws;
    this.receiveWindow = Math.max(1, receiveWindow);
    this.sendWindow = Math.max(1, sendWindow);
    this.maxMessageSize = Math.max(1, maxMessageSize);
    this.keepAliveMillis = keepAlive == null ? 0 : keepAlive.toMillis();
    this.remoteAddress = remoteAddress;
    this.requestHeaders = requestHeaders;
    this.trackingId = trackingId;
  }

  /** Called once the WebSocket is open: starts the keep-alive. */
  void start(Consumer<ConnectionImpl> onFinished) {
    this.onFinished = onFinished;
    if (keepAliveMillis > 0) {
      synchronized (this) {
        if (!finished) {
          SharedScheduler.acquire();
          schedulerHeld = true;
          keepAliveTask = SharedScheduler.every(keepAliveMillis, this::keepAlive);
        }
      }
    }
    if (ws.isTerminated()) {
      finish(1006, "", true);
    }
  }

  private void keepAlive() {
    if (finished) {
      return;
    }
    long silentNanos = System.nanoTime() - ws.lastReceivedNanos();
    boolean pendingOut = writerWaiting || ws.queuedBytes() > 0;
    if (silentNanos > TimeUnit.MILLISECONDS.toNanos(2 * keepAliveMillis) && !receivePaused && !pendingOut
        && !peerClosedCleanly) {
      fail(new SocketException("Connection reset: no traffic from the relay for "
          + TimeUnit.NANOSECONDS.toMillis(silentNanos) + " ms (keep-alive timeout)"));
      ws.abort();
      return;
    }
    if (!outputShutdown) {
      ws.ping();
    }
  }

  // ---------------------------------------------------------------- RelayWebSocket.Handler

  @Override
  public void onText(String text) {
    onBinary(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Override
  public void onBinary(ByteBuffer data) {
    if (!data.hasRemaining()) {
      return;
    }
    recvLock.lock();
    try {
      if (inputShutdown || closedLocally || failure != null) {
        return;
      }
      received.add(data);
      buffered += data.remaining();
      if (buffered >= receiveWindow && !receivePaused) {
        receivePaused = true;
        ws.pauseReading();
      }
      readable.signalAll();
    } finally {
      recvLock.unlock();
    }
    Runnable l = readListener;
    if (l != null) {
      l.run();
    }
  }

  /** Resumes reading from the network once half of the receive window is free again (recvLock held). */
  private void maybeResume() {
    if (receivePaused && (buffered <= receiveWindow / 2 || inputShutdown || closedLocally)) {
      receivePaused = false;
      ws.touch();
      ws.resumeReading();
    }
  }

  /**
   * The close-code rule of every relayed connection (sockets and forwarders inherit it): the peer's
   * Close ends the input cleanly (-1 after the data that arrived before it) when its code is 1000
   * (Normal Closure) at any time, or 1001 (Going Away) once our output is shut down, that is after
   * {@link #shutdownOutput()} or {@link #close()} queued our Close: the peer received everything
   * and is done as well. Any other code, and 1001 while we may still send, is an abort: the peer
   * does not take what we would send next.
   */
  static boolean endsCleanly(int code, boolean ourOutputShutdown) {
    return code == 1000 || (code == 1001 && ourOutputShutdown);
  }

  @Override
  public void onPeerClose(int code, String reason) {
    boolean clean = endsCleanly(code, outputShutdown);
    closeStatus = new RelayCloseStatus(code, reason == null ? "" : reason, clean);
    if (!clean) {
      peerCloseAnswered = true;
      fail(new SocketException("Connection reset: the peer closed with code " + code
          + (reason == null || reason.isEmpty() ? "" : " (" + Redaction.text(reason) + ")")));
      ws.closeNow(code, reason);
      return;
    }
    peerClosedCleanly = true;
    signalReaders();
    if (outputShutdown) {
      finishHandshake(reason);
    }
  }

  @Override
  public void onLocalFailure(RelayWebSocket socket, int code, String reason) {
    closeStatus = new RelayCloseStatus(code, reason == null ? "" : reason, false);
    fail(new SocketException("Connection closed with code " + code + ": " + reason));
    // Our Close goes after whatever is queued; the relay forwards it, the peer answers with its
    // Close and the relay then closes TCP. If that does not happen in time, abort.
    ws.sendClose(code, reason);
    if (holdScheduler()) {
      lingerTask = SharedScheduler.once(LINGER_MILLIS, ws::abort);
    }
  }

  private void finishHandshake(String reason) {
    if (finishing) {
      return;
    }
    finishing = true;
    ws.finishClose(1000, reason == null ? "" : reason);
    if (holdScheduler()) {
      lingerTask = SharedScheduler.once(LINGER_MILLIS, ws::abort);
    }
  }

  /** Takes a timer reference for this connection unless it has ended; false if it has. */
  private synchronized boolean holdScheduler() {
    if (finished) {
      return false;
    }
    if (!schedulerHeld) {
      SharedScheduler.acquire();
      schedulerHeld = true;
    }
    return true;
  }

  @Override
  public void onClosed(int code, String reason, boolean remote) {
    finish(code, reason, remote);
  }

  private void finish(int code, String reason, boolean remote) {
    boolean clean = peerClosedCleanly && outputShutdown && code == 1000;
    if (!clean && failure == null && !closedLocally) {
      if (closeStatus == null) {
        closeStatus = new RelayCloseStatus(code == 1000 ? 1006 : code, reason == null ? "" : reason, false);
      }
      failure = new SocketException("Connection reset: the relay connection was lost (code " + code + ")");
    }
    if (closeStatus == null) {
      closeStatus = new RelayCloseStatus(code, reason == null ? "" : reason, clean);
    }
    boolean release;
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
      release = schedulerHeld;
      schedulerHeld = false;
    }
    ScheduledFuture<?> k = keepAliveTask;
    if (k != null) {
      k.cancel(false);
    }
    for (ScheduledFuture<?> t : java.util.Arrays.asList(lingerTask, closeDeadlineTask)) {
      if (t != null) {
        t.cancel(false);
      }
    }
    if (release) {
      SharedScheduler.release();
    }
    signalReaders();
    signalWriters();
    Consumer<ConnectionImpl> f = onFinished;
    if (f != null) {
      f.accept(this);
    }
    log.debug("Connection {} ended: code {}, clean {}", trackingId, code, clean);
  }

  @Override
  public void onSendProgress() {
    if (writerWaiting) {
      signalWriters();
    }
    Runnable w = writeListener;
    if (w != null && hasSendRoom()) {
      w.run();
    }
  }

  private void fail(IOException e) {
    if (failure == null && !closedLocally) {
      failure = e;
    }
    signalReaders();
    signalWriters();
  }

  private void signalReaders() {
    recvLock.lock();
    try {
      readable.signalAll();
    } finally {
      recvLock.unlock();
    }
    Runnable l = readListener;
    if (l != null) {
      l.run();
    }
  }

  private void signalWriters() {
    sendLock.lock();
    try {
      sendSpace.signalAll();
    } finally {
      sendLock.unlock();
    }
    Runnable w = writeListener;
    if (w != null) {
      w.run();
    }
  }

  // ---------------------------------------------------------------- non-blocking use (forwarders)

  /** Returned by {@link #pollReceived()} once the input ended cleanly. */
  public static final ByteBuffer END_OF_STREAM = ByteBuffer.allocate(0).asReadOnlyBuffer();

  /** The I/O loop serving this connection's socket. */
  public IoLoop ioLoop() {
    return ws.loop();
  }

  /**
   * Sets the callback run after data arrived and whenever the input may have ended (clean end,
   * failure, close). It runs on the I/O loop thread, or on a thread that failed or closed the
   * connection; it must not block. It is run once at once, for data that arrived before.
   */
  public void setReadListener(Runnable listener) {
    readListener = listener;
    if (listener != null) {
      listener.run();
    }
  }

  /**
   * Sets the callback run when queued output drained to within the send window, or the connection
   * failed. Same threads and rules as {@link #setReadListener}.
   */
  public void setWriteListener(Runnable listener) {
    writeListener = listener;
  }

  /**
   * Takes the next received message without waiting; the buffer is the caller's.
   *
   * @return the bytes; null if nothing is buffered now; {@link #END_OF_STREAM} once the input ended
   *     (check {@link #closeStatus()} for how)
   * @throws IOException if the connection failed or was closed locally
   */
  public ByteBuffer pollReceived() throws IOException {
    recvLock.lock();
    try {
      if (closedLocally) {
        throw new SocketException("Socket closed");
      }
      if (inputShutdown) {
        return END_OF_STREAM;
      }
      ByteBuffer head = received.poll();
      if (head != null) {
        buffered -= head.remaining();
        maybeResume();
        return head;
      }
      if (peerClosedCleanly) {
        return END_OF_STREAM;
      }
      IOException f = failure;
      if (f != null) {
        throw copy(f);
      }
      return finished ? END_OF_STREAM : null;
    } finally {
      recvLock.unlock();
    }
  }

  /**
   * Sends all of {@code src} without waiting for the send window: the bytes are framed (copied) at
   * once, so {@code src} may be reused when this returns.
   *
   * @return true while the queued output is within the send window; when false, stop sending until
   *     the {@link #setWriteListener write listener} runs
   */
  public boolean sendNow(ByteBuffer src) throws IOException {
    sendLock.lock();
    try {
      while (src.hasRemaining()) {
        checkWritable();
        int n = Math.min(src.remaining(), maxMessageSize);
        ByteBuffer part = src.duplicate();
        part.limit(part.position() + n);
        if (!ws.sendBinary(part)) {
          checkWritable();
          throw new SocketException("Connection reset: the relay connection is closed");
        }
        src.position(src.position() + n);
      }
      return hasSendRoom();
    } finally {
      sendLock.unlock();
    }
  }

  /**
   * Gives back a buffer returned by {@link #pollReceived()} once all of it was used, for reuse by
   * later messages. The caller must not touch it afterwards.
   */
  public static void recycle(ByteBuffer consumed) {
    BufferPool.PAYLOADS.release(consumed);
  }

  /** True while the queued output is within the send window. */
  public boolean hasSendRoom() {
    return ws.queuedBytes() <= sendWindow;
  }

  /** As {@link #close()}, without waiting for the queued output to reach the socket. */
  public void closeAsync() {
    startClose();
  }

  // ---------------------------------------------------------------- streams

  private int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    long timeoutNanos = readTimeout.toNanos();
    long deadline = System.nanoTime() + timeoutNanos;
    recvLock.lock();
    try {
      while (true) {
        if (closedLocally) {
          throw new SocketException("Socket closed");
        }
        if (inputShutdown) {
          return -1;
        }
        if (!received.isEmpty()) {
          break;
        }
        if (peerClosedCleanly) {
          return -1;
        }
        IOException f = failure;
        if (f != null) {
          throw copy(f);
        }
        if (finished) {
          return -1; // clean close handshake completed
        }
        try {
          if (timeoutNanos > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
              throw new SocketTimeoutException("Read timed out");
            }
            readable.awaitNanos(left);
          } else {
            readable.await();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("Interrupted while reading");
        }
      }
      int n = 0;
      while (n < len && !received.isEmpty()) {
        ByteBuffer head = received.peek();
        int k = Math.min(len - n, head.remaining());
        head.get(b, off + n, k);
        n += k;
        if (!head.hasRemaining()) {
          BufferPool.PAYLOADS.release(received.poll());
        }
      }
      buffered -= n;
      maybeResume();
      return n;
    } finally {
      recvLock.unlock();
    }
  }

  private int available() {
    recvLock.lock();
    try {
      return (int) Math.min(Integer.MAX_VALUE, buffered);
    } finally {
      recvLock.unlock();
    }
  }

  private void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    while (len > 0) {
      int n = Math.min(len, maxMessageSize);
      sendLock.lock();
      try {
        try {
          while (true) {
            checkWritable();
            writerWaiting = true;
            long queued = ws.queuedBytes();
            if (queued == 0 || queued + n <= sendWindow) {
              break;
            }
            sendSpace.await(50, TimeUnit.MILLISECONDS);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("Interrupted while writing");
        } finally {
          writerWaiting = false;
        }
        if (!ws.sendBinary(b, off, n)) {
          checkWritable();
          throw new SocketException("Connection reset: the relay connection is closed");
        }
      } finally {
        sendLock.unlock();
      }
      off += n;
      len -= n;
    }
  }

  private void checkWritable() throws IOException {
    if (closedLocally) {
      throw new SocketException("Socket closed");
    }
    IOException f = failure;
    if (f != null) {
      throw copy(f);
    }
    if (outputShutdown) {
      throw new SocketException("Socket output is shut down");
    }
    if (finished) {
      throw new SocketException("Connection reset: the relay connection is closed");
    }
  }

  private static IOException copy(IOException f) {
    SocketException e = new SocketException(f.getMessage());
    e.initCause(f);
    return e;
  }

  private void flush() throws IOException {
    if (closedLocally) {
      throw new SocketException("Socket closed");
    }
    // Messages are handed to the socket as they are written; nothing is held back.
  }

  // ---------------------------------------------------------------- RelayConnection

  @Override
  public InputStream getInputStream() throws IOException {
    return in;
  }

  @Override
  public OutputStream getOutputStream() throws IOException {
    return out;
  }

  @Override
  public void shutdownOutput() throws IOException {
    if (closedLocally) {
      throw new SocketException("Socket closed");
    }
    if (!sendOurClose("Shutdown")) {
      return;
    }
    if (peerClosedCleanly) {
      finishHandshake("Shutdown");
    }
  }

  /** Queues our Close 1000 once; true if this call queued it. */
  private boolean sendOurClose(String reason) {
    sendLock.lock();
    try {
      if (outputShutdown) {
        return false;
      }
      outputShutdown = true;
      sendSpace.signalAll();
      if (failure == null && !finished) {
        ws.sendClose(1000, reason);
      }
      return true;
    } finally {
      sendLock.unlock();
    }
  }

  @Override
  public void shutdownInput() throws IOException {
    if (closedLocally) {
      throw new SocketException("Socket closed");
    }
    recvLock.lock();
    try {
      inputShutdown = true;
      received.clear();
      buffered = 0;
      readable.signalAll();
      maybeResume();
    } finally {
      recvLock.unlock();
    }
  }

  @Override
  public void close() throws IOException {
    if (!startClose()) {
      return;
    }
    // Return once our data and Close frame reached the socket (bounded by the same deadline).
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_TIMEOUT_MILLIS);
    sendLock.lock();
    try {
      while (!finished && ws.queuedBytes() > 0 && System.nanoTime() < deadline) {
        writerWaiting = true;
        sendSpace.await(20, TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      writerWaiting = false;
      sendLock.unlock();
    }
  }

  /** Closes without waiting; true if the close handshake is under way and output may be queued. */
  private boolean startClose() {
    if (closedLocally) {
      return false;
    }
    closedLocally = true;
    recvLock.lock();
    try {
      received.clear();
      buffered = 0;
      maybeResume();
    } finally {
      recvLock.unlock();
    }
    signalReaders();
    signalWriters();
    if (finished) {
      return false;
    }
    if (failure != null) {
      // After the peer's Close, answered at once, the relay ends TCP (the socket drops it if not
      // within its linger time); a reset now could overtake our answer. Any other failure: reset.
      if (!peerCloseAnswered) {
        ws.abort();
      }
      return false;
    }
    sendOurClose("Normal Closure");
    if (peerClosedCleanly) {
      finishHandshake("Normal Closure");
    }
    // The close handshake completes in the background; abort if it has not within the deadline.
    if (holdScheduler()) {
      closeDeadlineTask = SharedScheduler.once(CLOSE_TIMEOUT_MILLIS, () -> {
        if (!finished) {
          log.debug("Connection {}: no close handshake within {} ms, aborting", trackingId, CLOSE_TIMEOUT_MILLIS);
          ws.abort();
        }
      });
    }
    return true;
  }

  @Override
  public void abort() {
    closedLocally = true;
    signalReaders();
    signalWriters();
    ws.abort();
  }

  @Override
  public void setReadTimeout(Duration timeout) {
    if (timeout == null || timeout.isNegative()) {
      throw new IllegalArgumentException("The read timeout must be zero or positive, but was " + timeout);
    }
    this.readTimeout = timeout;
  }

  @Override
  public Duration getReadTimeout() {
    return readTimeout;
  }

  @Override
  public boolean isClosed() {
    return closedLocally || failure != null || finished;
  }

  @Override
  public boolean isInputShutdown() {
    return inputShutdown;
  }

  @Override
  public boolean isOutputShutdown() {
    return outputShutdown;
  }

  @Override
  public String trackingId() {
    return trackingId;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    if (remoteAddress != null) {
      return remoteAddress;
    }
    return ws.getRemoteSocketAddress();
  }

  @Override
  public InetSocketAddress localAddress() {
    return ws.getLocalSocketAddress();
  }

  @Override
  public Optional<String> subprotocol() {
    return Optional.ofNullable(ws.subprotocol());
  }

  @Override
  public Map<String, String> requestHeaders() {
    return requestHeaders;
  }

  @Override
  public Optional<RelayCloseStatus> closeStatus() {
    return Optional.ofNullable(closeStatus);
  }

  @Override
  public String toString() {
    return "RelayConnection{" + trackingId + (isClosed() ? ", closed" : "") + "}";
  }

  private final class In extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = ConnectionImpl.this.read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return ConnectionImpl.this.read(b, off, len);
    }

    @Override
    public int available() {
      return ConnectionImpl.this.available();
    }

    @Override
    public void close() throws IOException {
      ConnectionImpl.this.close();
    }
  }

  private final class Out extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      ConnectionImpl.this.write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      ConnectionImpl.this.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      ConnectionImpl.this.flush();
    }

    @Override
    public void close() throws IOException {
      ConnectionImpl.this.close();
    }
  }
}
