package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayAuthorizationException;
import dev.hybridrelay.core.RelayConnectException;
import dev.hybridrelay.core.RelayTimeoutException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.PongFrame;
import org.java_websocket.handshake.HandshakeImpl1Client;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.handshake.ServerHandshake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client WebSocket to the relay (control channel, sender connection or rendezvous): Java-WebSocket's
 * protocol engine ({@link WebSocketImpl} with {@link RelayDraft}) over a non-blocking {@link
 * SocketChannel} served by a shared {@link IoLoop}.
 *
 * <p>Threads: none of its own. Connecting (TCP, TLS handshake, upgrade request) runs on the thread
 * that calls {@link #open}. Afterwards every {@link Handler} callback runs on the connection's I/O
 * loop thread and must not block; {@link #pauseReading()} stops reading from the network
 * (backpressure) and {@link #resumeReading()} starts again. Frames are written by the thread that
 * sends them, straight to the socket while the kernel takes them; what the socket does not take at
 * once waits in this object's queue ({@link #queuedBytes()}) and the loop writes it when the socket is
 * writable again, in order.
 *
 * <p>Close frames are not echoed automatically (see {@link RelayDraft}): {@link Handler#onPeerClose}
 * reports them, and the owner decides when to send its own Close ({@link #sendClose}) and to finish
 * ({@link #finishClose}).
 */
final class RelayWebSocket extends WebSocketAdapter implements IoLoop.Handler {
  private static final Logger log = LoggerFactory.getLogger(RelayWebSocket.class);
  private static final List<String> TLS_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
  /** How long a closing socket waits for the relay to end TCP before it is dropped. */
  static final long CLOSING_LINGER_MILLIS = 2_000;
  private static final int WRITE_BATCH = 16;

  /** Receives the socket's events on its I/O loop thread; no callback may block. */
  interface Handler {
    default void onOpen(RelayWebSocket ws) {}

    void onText(String text);

    void onBinary(ByteBuffer data);

    /**
     * One fragment of a binary message, when the socket streams fragments
     * ({@link RelayWebSocket#streamBinaryFragments()}); {@code fin} marks the message's last one.
     * The buffer is the handler's.
     */
    default void onBinaryFragment(ByteBuffer data, boolean fin) {}

    /** The peer's Close frame arrived; nothing was echoed yet. */
    void onPeerClose(int code, String reason);

    /**
     * The peer broke a local limit (a message over the size cap); further data frames are dropped.
     * By default the socket closes with {@code code} through the library's close path.
     */
    default void onLocalFailure(RelayWebSocket ws, int code, String reason) {
      ws.closeNow(code, reason);
    }

    /** The TCP connection is gone (after a close handshake or not). */
    void onClosed(int code, String reason, boolean remote);
  }

  private final String name;
  private final String trackingId;
  private final URI uri;
  private final Map<String, String> headers;
  private final int connectTimeoutMillis;
  private final WebSocketImpl engine;
  private volatile Handler handler;
  private volatile ServerHandshake response;
  private volatile boolean peerClosed;
  private volatile boolean failedLocally;
  private volatile boolean opened;
  private volatile Exception lastError;
  private volatile long lastReceivedNanos = System.nanoTime();
  private final CountDownLatch handshakeDone = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Object sentLock = new Object();

  // Transport state.
  private volatile SocketChannel channel;
  private volatile TlsSession tls;
  private volatile IoLoop loop;
  private volatile SelectionKey key;
  private volatile InetSocketAddress localAddress;
  private volatile InetSocketAddress remoteAddress;
  private final AtomicBoolean loopReleased = new AtomicBoolean();
  private final AtomicBoolean closingTimerSet = new AtomicBoolean();
  private volatile boolean channelClosed;
  private volatile boolean closeWhenFlushed;

  // Write side, guarded by writeLock (a leaf lock: nothing else is taken while it is held).
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
  private final ByteBuffer[] batch = new ByteBuffer[WRITE_BATCH];
  private boolean waitingWritable;
  private volatile long queued;
  /** Senders inside {@link #sendTogether}: frames wait for the last one's flush. */
  private final java.util.concurrent.atomic.AtomicInteger corked = new java.util.concurrent.atomic.AtomicInteger();

  // Read side.
  private final Object pauseLock = new Object();
  private volatile boolean readPaused;

  /**
   * @param uri the full URI (may carry a capability in its query: never logged unredacted)
   * @param headers extra handshake headers (token included; never logged)
   * @param maxIncomingMessageSize frame and message cap; larger closes with 1009
   * @param connectTimeoutMillis the TCP connect timeout
   */
  RelayWebSocket(String role, URI uri, Map<String, String> headers, List<String> subprotocols,
      int maxIncomingMessageSize, int connectTimeoutMillis, String trackingId) {
    this.uri = uri;
    this.headers = headers == null ? Map.of() : headers;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.name = "ws-" + role + "-" + Threads.nextId();
    this.trackingId = trackingId;
    this.engine = new WebSocketImpl(this, new RelayDraft(maxIncomingMessageSize, subprotocols));
  }

  void setHandler(Handler handler) {
    this.handler = handler;
  }

  /** Redacted URI for messages. */
  String safeUri() {
    return Redaction.uri(uri);
  }

  String trackingId() {
    return trackingId;
  }

  private RelayDraft draft() {
    return (RelayDraft) engine.getDraft();
  }

  /**
   * Connects TCP (directly or through the HTTP proxy that {@code proxy} chooses, see {@link
   * ProxyTunnel}), then TLS, performs the WebSocket handshake, and returns once open.
   *
   * @param proxy how to reach the relay; null: the JDK's proxy selector
   * @throws RelayConnectException and subclasses for an HTTP refusal; RelayTimeoutException if the
   *     deadline passed; RelayProxyException for a proxy failure; IOException for network failures
   */
  void open(SSLContext sslContext, ProxyConfig proxy, long timeoutMillis) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, timeoutMillis));
    String host = uri.getHost();
    boolean secure = "wss".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() >= 0 ? uri.getPort() : secure ? 443 : 80;
    ProxyConfig.Server via = ProxyTunnel.route(proxy, host, port, secure);
    // The default TLS context (a native engine loads its library on first use) is made before TCP
    // connects, so that the relay's handshake timer does not run while it loads.
    SSLContext tlsContext = !secure ? null : sslContext != null ? sslContext : ClientTls.defaultContext();
    SocketChannel ch = SocketChannel.open();
    boolean registered = false;
    try {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      int connectMillis = remainingMillis(deadline);
      if (connectTimeoutMillis > 0) {
        connectMillis = Math.min(connectMillis, connectTimeoutMillis);
      }
      ProxyTunnel.connect(ch, via, host, port, connectMillis, deadline, trackingId);
      localAddress = (InetSocketAddress) ch.getLocalAddress();
      remoteAddress = (InetSocketAddress) ch.getRemoteAddress();
      if (secure) {
        tls = tlsHandshake(ch, tlsContext, host, port, deadline);
      }
      ch.configureBlocking(false);
      channel = ch;
      engine.setChannel(ch);
      loop = IoLoop.acquire();
      registered = true;
      key = loop.register(ch, SelectionKey.OP_READ, this);
      engine.setSelectionKey(key);
      HandshakeImpl1Client request = new HandshakeImpl1Client();
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      if (uri.getRawQuery() != null) {
        path += "?" + uri.getRawQuery();
      }
      request.setResourceDescriptor(path);
      request.put("Host", host + (port != 80 && port != 443 ? ":" + port : ""));
      for (Map.Entry<String, String> h : headers.entrySet()) {
        request.put(h.getKey(), h.getValue());
      }
      try {
        engine.startHandshake(request);
      } catch (InvalidHandshakeException e) {
        throw new IOException("Cannot build the WebSocket handshake request: " + Redaction.text(e.getMessage()), e);
      }
    } catch (IOException | RuntimeException e) {
      if (registered) {
        abort();
      } else {
        closeQuietly(ch);
      }
      throw e;
    }
    boolean done;
    try {
      done = handshakeDone.await(remainingMillis(deadline), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      throw new java.io.InterruptedIOException("Interrupted while connecting to " + safeUri());
    } catch (RelayTimeoutException e) {
      done = false;
    }
    if (!done) {
      abort();
      throw new RelayTimeoutException(0, "No WebSocket handshake response from the relay within "
          + timeoutMillis + " ms", trackingId);
    }
    if (!opened) {
      throw refusal();
    }
  }

  private TlsSession tlsHandshake(SocketChannel ch, SSLContext sslContext, String host, int port, long deadline)
      throws IOException {
    SSLEngine sslEngine = sslContext.createSSLEngine(host, port);
    sslEngine.setUseClientMode(true);
    SSLParameters params = sslEngine.getSSLParameters();
    configureTls(params, sslEngine.getSupportedProtocols());
    sslEngine.setSSLParameters(params);
    TlsSession session = new TlsSession(sslEngine);
    AtomicBoolean timedOut = new AtomicBoolean();
    SharedScheduler.acquire();
    ScheduledFuture<?> timer = SharedScheduler.once(remainingMillis(deadline), () -> {
      timedOut.set(true);
      closeQuietly(ch);
    });
    try {
      session.handshake(ch);
    } catch (IOException e) {
      if (timedOut.get()) {
        throw new RelayTimeoutException(0, "Timed out in the TLS handshake with " + host + ":" + port, trackingId);
      }
      throw e;
    } finally {
      if (timer != null) {
        timer.cancel(false);
      }
      SharedScheduler.release();
    }
    return session;
  }

  /** Sets hostname verification and TLS 1.3/1.2 only. */
  static void configureTls(SSLParameters params, String[] supported) {
    params.setEndpointIdentificationAlgorithm("HTTPS");
    List<String> protocols = new ArrayList<>();
    List<String> sup = supported == null ? TLS_PROTOCOLS : Arrays.asList(supported);
    for (String p : TLS_PROTOCOLS) {
      if (sup.contains(p)) {
        protocols.add(p);
      }
    }
    if (!protocols.isEmpty()) {
      params.setProtocols(protocols.toArray(new String[0]));
    }
  }

  private IOException refusal() {
    RelayDraft draft = draft();
    int status = draft.responseStatus();
    if (status > 0 && status != 101) {
      return refusal(status, Redaction.text(draft.responseReason()), trackingId);
    }
    Exception err = lastError;
    String detail = err == null ? "the connection closed" : Redaction.text(String.valueOf(err.getMessage()));
    IOException e = new java.net.SocketException("WebSocket handshake with " + safeUri() + " failed: " + detail);
    if (err != null) {
      e.initCause(err);
    }
    return e;
  }

  /** Maps a refused handshake to the public exception types. */
  static IOException refusal(int status, String description, String ourTrackingId) {
    String tracking = RelayUris.trackingId(description, ourTrackingId);
    if (status == 401 || status == 403) {
      return new RelayAuthorizationException(status, description, tracking);
    }
    if (status == 408 || status == 504) {
      return new RelayTimeoutException(status, description, tracking);
    }
    return new RelayConnectException(status, description, tracking);
  }

  private static int remainingMillis(long deadlineNanos) throws RelayTimeoutException {
    long ms = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    if (ms <= 0) {
      throw new RelayTimeoutException(0, "Timed out connecting to the relay", null);
    }
    return (int) Math.min(Integer.MAX_VALUE, ms);
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  /** The negotiated sub-protocol or null. */
  String subprotocol() {
    ServerHandshake r = response;
    if (r == null || !r.hasFieldValue("Sec-WebSocket-Protocol")) {
      return null;
    }
    String p = r.getFieldValue("Sec-WebSocket-Protocol").trim();
    return p.isEmpty() ? null : p;
  }

  /** Bytes of frames handed over but not yet taken by the socket. */
  long queuedBytes() {
    return queued;
  }

  /** The I/O loop serving this socket (null before {@link #open}). */
  IoLoop loop() {
    return loop;
  }

  long lastReceivedNanos() {
    return lastReceivedNanos;
  }

  void touch() {
    lastReceivedNanos = System.nanoTime();
  }

  boolean hasPeerClosed() {
    return peerClosed;
  }

  boolean isTerminated() {
    return closed.getCount() == 0;
  }

  /** Waits until the TCP connection is gone. */
  boolean awaitClosed(long millis) throws InterruptedException {
    return closed.await(millis, TimeUnit.MILLISECONDS);
  }

  InetSocketAddress getRemoteSocketAddress() {
    return remoteAddress;
  }

  InetSocketAddress getLocalSocketAddress() {
    return localAddress;
  }

  /** Sends a binary message; false if the socket is no longer open. */
  boolean sendBinary(ByteBuffer data) {
    RelayDraft d = draft();
    if (d.masksOutput()) {
      if (!engine.isOpen()) {
        return false;
      }
      queueFrame(d.encodeBinary(data));
      return true;
    }
    try {
      engine.send(data);
      return true;
    } catch (WebsocketNotConnectedException e) {
      return false;
    }
  }

  /** Sends {@code b[off..off+len)} as one binary message; false if the socket is no longer open. */
  boolean sendBinary(byte[] b, int off, int len) {
    RelayDraft d = draft();
    if (!d.masksOutput()) {
      return sendBinary(ByteBuffer.wrap(b, off, len));
    }
    if (!engine.isOpen()) {
      return false;
    }
    queueFrame(d.encodeBinary(b, off, len));
    return true;
  }

  /**
   * The data path of {@link #sendBinary}: the frame, encoded by {@link RelayDraft} exactly as the engine
   * would have, goes straight to our queue behind whatever the engine queued before (Close, ping,
   * pong), instead of through the engine's frame objects, lists and blocking queue. Then written
   * as far as the socket takes it now, as {@link #flush()} does.
   */
  private void queueFrame(ByteBuffer frame) {
    writeLock.lock();
    try {
      ByteBuffer b;
      while ((b = engine.outQueue.poll()) != null) {
        if (b.hasRemaining()) {
          pending.add(b);
          queued += b.remaining();
        }
      }
      if (channelClosed) {
        BufferPool.FRAMES.release(frame);
        releasePending();
        queued = 0;
        return;
      }
      pending.add(frame);
      queued += frame.remaining();
      if (!waitingWritable && channel != null && corked.get() == 0) {
        writePending(); // inside sendTogether the last sender's flush writes
      }
    } finally {
      writeLock.unlock();
    }
  }

  /** Binary messages arrive fragment by fragment through {@link Handler#onBinaryFragment}. Before {@link #open}. */
  void streamBinaryFragments() {
    draft().streamBinaryFragments();
  }

  void binaryFragment(ByteBuffer data, boolean fin) {
    Handler h = handler;
    if (h != null) {
      h.onBinaryFragment(data, fin);
    }
  }

  /**
   * Sends one fragment of a binary message (the first one opens it, {@code fin} ends it); false if the
   * socket is no longer open.
   */
  boolean sendBinaryFragment(ByteBuffer data, boolean fin) {
    try {
      engine.sendFragmentedFrame(org.java_websocket.enums.Opcode.BINARY, data, fin);
      return true;
    } catch (WebsocketNotConnectedException e) {
      return false;
    }
  }

  /**
   * Runs {@code sends} (calls of the send methods) so that their frames reach the socket together,
   * in one write where it takes them all (a response message and its body). Any thread.
   */
  boolean sendTogether(java.util.function.BooleanSupplier sends) {
    corked.incrementAndGet();
    try {
      return sends.getAsBoolean();
    } finally {
      if (corked.decrementAndGet() == 0) {
        flush();
      }
    }
  }

  /**
   * Sends a text message given as well-formed UTF-8 (our own JSON, never a peer's bytes); false if
   * the socket is no longer open.
   */
  boolean sendTextUtf8(byte[] utf8) {
    RelayDraft d = draft();
    if (!d.masksOutput()) {
      return sendText(new String(utf8, java.nio.charset.StandardCharsets.UTF_8));
    }
    // our own bytes are well-formed: no UTF-8 validation and no frame objects, as for binary
    if (!engine.isOpen()) {
      return false;
    }
    queueFrame(d.encodeText(utf8));
    return true;
  }

  /** Sends a text message; false if the socket is no longer open. */
  boolean sendText(String text) {
    if (draft().masksOutput()) {
      return sendTextUtf8(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    try {
      engine.send(text);
      return true;
    } catch (WebsocketNotConnectedException e) {
      return false;
    }
  }

  /** Sends a ping; false if the socket is no longer open. */
  boolean ping() {
    try {
      engine.sendPing();
      return true;
    } catch (WebsocketNotConnectedException e) {
      return false;
    }
  }

  /** Queues our Close frame after everything queued before; false if the socket is not open. */
  boolean sendClose(int code, String reason) {
    synchronized (sentLock) {
      CloseFrame frame = new CloseFrame();
      frame.setCode(code);
      frame.setReason(reason);
      try {
        frame.isValid();
        engine.sendFrame(frame);
        return true;
      } catch (WebsocketNotConnectedException | org.java_websocket.exceptions.InvalidDataException e) {
        return false;
      }
    }
  }

  /**
   * Both Close frames have been exchanged: flush and let the relay close TCP; {@link Handler#onClosed}
   * follows with {@code code}.
   */
  void finishClose(int code, String reason) {
    engine.flushAndClose(code, reason, true);
  }

  /** Echoes the peer's Close and closes (used for failures and the control channel). */
  void closeNow(int code, String reason) {
    if (engine.isOpen()) {
      engine.close(code, reason, true);
    }
  }

  /**
   * Drops TCP with a reset; {@link Handler#onClosed} follows on the loop thread. Idempotent; safe from
   * any thread.
   */
  void abort() {
    SocketChannel ch = channel;
    channelClosed = true;
    if (ch != null) {
      try {
        ch.setOption(StandardSocketOptions.SO_LINGER, 0);
      } catch (IOException | RuntimeException ignored) {
        // already closed
      }
      closeQuietly(ch);
    }
    IoLoop l = loop;
    if (l != null) {
      l.executeLater(engine::eot);
    }
  }

  // --- flow control of the read side ---

  /** Stops reading from the network until {@link #resumeReading()}. Any thread. */
  void pauseReading() {
    synchronized (pauseLock) {
      if (readPaused) {
        return;
      }
      readPaused = true;
      SelectionKey k = key;
      if (k != null) {
        loop.interestAnd(k, SelectionKey.OP_READ);
      }
    }
  }

  /** Reads from the network again. Any thread. */
  void resumeReading() {
    synchronized (pauseLock) {
      if (!readPaused) {
        return;
      }
      readPaused = false;
      SelectionKey k = key;
      if (k != null) {
        loop.interestOr(k, SelectionKey.OP_READ);
      }
    }
  }

  // --- I/O on the loop ---

  @Override
  public void ready(SelectionKey k, int readyOps) {
    try {
      handleReady(k, readyOps);
    } catch (RuntimeException | Error e) {
      // A failure inside the engine or a handler: end this connection, keep the loop serving others.
      log.warn("WebSocket {} ({}) failed on its I/O loop; dropping the connection", safeUri(), trackingId, e);
      onWebsocketError(engine, e instanceof Exception ? (Exception) e : new IOException(e));
      channelClosed = true;
      SocketChannel ch = channel;
      if (ch != null) {
        closeQuietly(ch);
      }
      engine.closeConnection(CloseFrame.ABNORMAL_CLOSE, "internal error", false);
    }
  }

  /** The I/O loop failed: drop the connection so that its owner learns of it. */
  @Override
  public void loopClosed(SelectionKey k) {
    channelClosed = true;
    SocketChannel ch = channel;
    if (ch != null) {
      closeQuietly(ch);
    }
    engine.eot();
  }

  private void handleReady(SelectionKey k, int readyOps) {
    if ((readyOps & SelectionKey.OP_WRITE) != 0) {
      boolean progressed;
      writeLock.lock();
      try {
        long before = queued;
        waitingWritable = false;
        writePending();
        if (!waitingWritable) {
          loop.interestAnd(k, SelectionKey.OP_WRITE);
        }
        progressed = queued < before;
      } finally {
        writeLock.unlock();
      }
      if (closeWhenFlushed) {
        closeIfFlushed();
      }
      Handler h = handler;
      if (progressed && h instanceof SendProgressListener) {
        ((SendProgressListener) h).onSendProgress();
      }
    }
    if ((readyOps & SelectionKey.OP_READ) != 0 && !readPaused && !channelClosed) {
      read();
    }
  }

  /** On the loop: ends TCP once nothing is queued (after an engine-initiated close). */
  private void closeIfFlushed() {
    if (!closeWhenFlushed || channelClosed || queued > 0) {
      return;
    }
    channelClosed = true;
    SocketChannel ch = channel;
    if (ch != null) {
      closeQuietly(ch);
    }
    engine.eot();
  }

  private void read() {
    SocketChannel ch = channel;
    try {
      TlsSession t = tls;
      if (t == null) {
        ByteBuffer buf = loop.readBuffer();
        buf.clear();
        int n = ch.read(buf);
        if (n > 0) {
          lastReceivedNanos = System.nanoTime();
          buf.flip();
          engine.decode(buf);
        } else if (n < 0) {
          engine.eot();
        }
      } else if (!t.read(ch, loop.readBuffer(), loop.plainBuffer(t.applicationBufferSize()),
          this::decodePlain, this::flush)) {
        engine.eot();
      }
    } catch (IOException e) {
      onWebsocketError(engine, e);
      channelClosed = true;
      closeQuietly(ch);
      engine.eot();
    }
  }

  private void decodePlain(ByteBuffer plain) {
    lastReceivedNanos = System.nanoTime();
    engine.decode(plain);
  }

  /** Moves new frames from the engine's queue to ours and writes what the socket takes now. */
  private void flush() {
    writeLock.lock();
    try {
      ByteBuffer b;
      while ((b = engine.outQueue.poll()) != null) {
        if (b.hasRemaining()) {
          pending.add(b);
          queued += b.remaining();
        }
      }
      if (channelClosed) {
        releasePending();
        queued = 0;
        return;
      }
      if (!waitingWritable && channel != null) {
        writePending();
      }
    } finally {
      writeLock.unlock();
    }
  }

  /** Under writeLock: drops the queued frames, giving pooled buffers back. */
  private void releasePending() {
    ByteBuffer b;
    while ((b = pending.poll()) != null) {
      BufferPool.FRAMES.release(b);
    }
  }

  /** Under writeLock: writes pending frames until done or the socket is full (then waits for OP_WRITE). */
  private void writePending() {
    SocketChannel ch = channel;
    TlsSession t = tls;
    try {
      while (!pending.isEmpty() || (t != null && t.hasPendingOutput())) {
        int k = 0;
        for (ByteBuffer b : pending) {
          if (k == WRITE_BATCH) {
            break;
          }
          batch[k++] = b;
        }
        long n = t == null ? ch.write(batch, 0, k) : t.write(ch, batch, 0, k);
        java.util.Arrays.fill(batch, 0, k, null);
        queued -= n;
        while (!pending.isEmpty() && !pending.peek().hasRemaining()) {
          BufferPool.FRAMES.release(pending.poll());
        }
        boolean full = t == null ? n == 0 : t.hasPendingOutput() || n == 0;
        if (full && (!pending.isEmpty() || (t != null && t.hasPendingOutput()))) {
          waitingWritable = true;
          loop.interestOr(key, SelectionKey.OP_WRITE);
          return;
        }
      }
    } catch (IOException e) {
      onWebsocketError(engine, e);
      releasePending();
      queued = 0;
      channelClosed = true;
      closeQuietly(ch);
      IoLoop l = loop;
      if (l != null) {
        l.executeLater(engine::eot);
      }
    }
  }

  // --- called by RelayDraft on the loop thread ---

  /** True once the peer broke a local limit; data frames are dropped from then on. */
  boolean hasFailedLocally() {
    return failedLocally;
  }

  /** Called by {@link RelayDraft} on the loop thread when the peer breaks a local limit. */
  void failLocally(int code, String reason) {
    if (failedLocally) {
      return;
    }
    failedLocally = true;
    Handler h = handler;
    if (h != null) {
      h.onLocalFailure(this, code, reason);
    } else {
      closeNow(code, reason);
    }
  }

  void peerClosed(int code, String reason) {
    if (peerClosed) {
      return;
    }
    peerClosed = true;
    Handler h = handler;
    if (h != null) {
      h.onPeerClose(code, reason);
    }
  }

  // --- Java-WebSocket callbacks ---

  @Override
  public void onWriteDemand(WebSocket conn) {
    if (corked.get() > 0) {
      return; // the sender in sendTogether flushes when done
    }
    flush();
  }

  @Override
  public void onWebsocketOpen(WebSocket conn, Handshakedata handshake) {
    response = (ServerHandshake) handshake;
    opened = true;
    Handler h = handler;
    if (h != null) {
      h.onOpen(this);
    }
    handshakeDone.countDown();
  }

  @Override
  public void onWebsocketMessage(WebSocket conn, String message) {
    Handler h = handler;
    if (h != null) {
      h.onText(message);
    }
  }

  @Override
  public void onWebsocketMessage(WebSocket conn, ByteBuffer bytes) {
    Handler h = handler;
    if (h != null) {
      h.onBinary(bytes);
    }
  }

  @Override
  public void onWebsocketPing(WebSocket conn, Framedata f) {
    try {
      conn.sendFrame(new PongFrame((org.java_websocket.framing.PingFrame) f));
    } catch (RuntimeException e) {
      log.trace("Cannot answer a ping on {}", safeUri());
    }
  }

  @Override
  public void onWebsocketCloseInitiated(WebSocket conn, int code, String reason) {
    // nothing: our Close frames go out through sendClose / closeNow
  }

  @Override
  public void onWebsocketClosing(WebSocket conn, int code, String reason, boolean remote) {
    if (!opened) {
      abort(); // a refused handshake: the status is captured, nothing more will come
      return;
    }
    if (!remote) {
      // The engine closes on a protocol error of the peer (a frame over the limit, bad data): once
      // its Close frame is written, end TCP as Java-WebSocket's own client does.
      closeWhenFlushed = true;
      IoLoop l = loop;
      if (l != null) {
        l.executeLater(this::closeIfFlushed);
      }
    }
    // The relay ends TCP once both Close frames passed; if it does not, drop the connection.
    if (closingTimerSet.compareAndSet(false, true) && !isTerminated()) {
      SharedScheduler.acquire();
      ScheduledFuture<?> f = SharedScheduler.once(CLOSING_LINGER_MILLIS, () -> {
        try {
          if (!isTerminated()) {
            abort();
          }
        } finally {
          SharedScheduler.release();
        }
      });
      if (f == null) {
        SharedScheduler.release();
      }
    }
  }

  @Override
  public void onWebsocketClose(WebSocket conn, int code, String reason, boolean remote) {
    channelClosed = true;
    handshakeDone.countDown();
    writeLock.lock();
    try {
      releasePending();
      queued = 0;
    } finally {
      writeLock.unlock();
    }
    Handler h = handler;
    try {
      if (h != null && opened) {
        h.onClosed(code, reason == null ? "" : reason, remote);
      }
    } finally {
      closed.countDown();
      IoLoop l = loop;
      if (l != null && loopReleased.compareAndSet(false, true)) {
        l.release();
      }
    }
  }

  @Override
  public void onWebsocketError(WebSocket conn, Exception ex) {
    lastError = ex;
    if (log.isDebugEnabled()) {
      log.debug("WebSocket {} ({}): {}", safeUri(), trackingId, Redaction.text(String.valueOf(ex)));
    }
  }

  @Override
  public InetSocketAddress getLocalSocketAddress(WebSocket conn) {
    return localAddress;
  }

  @Override
  public InetSocketAddress getRemoteSocketAddress(WebSocket conn) {
    return remoteAddress;
  }

  /** Implemented by handlers that wait for send-window space. */
  interface SendProgressListener {
    void onSendProgress();
  }
}
