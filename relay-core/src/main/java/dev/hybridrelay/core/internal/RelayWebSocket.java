package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayAuthorizationException;
import dev.hybridrelay.core.RelayConnectException;
import dev.hybridrelay.core.RelayTimeoutException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.PongFrame;
import org.java_websocket.handshake.ServerHandshake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client WebSocket to the relay (control channel, sender connection or rendezvous), on top of
 * Java-WebSocket's {@link WebSocketClient}.
 *
 * <p>Threads: a read thread {@code hybridrelay-ws-{role}-{n}} (started here; it runs every callback
 * of the {@link Handler}) and Java-WebSocket's write thread, renamed {@code hybridrelay-ws-{role}-{n}-writer}
 * once the handshake completed. Both end when the TCP connection is gone. Handler callbacks run on the
 * read thread; {@link Handler#onBinary} may block it, which stops reading from the network
 * (backpressure).
 *
 * <p>Close frames are not echoed automatically (see {@link RelayDraft}): {@link Handler#onPeerClose}
 * reports them, and the owner decides when to send its own Close ({@link #sendClose}) and to finish
 * ({@link #finishClose}).
 */
final class RelayWebSocket extends WebSocketClient {
  private static final Logger log = LoggerFactory.getLogger(RelayWebSocket.class);
  private static final List<String> TLS_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /** Receives the socket's events on its read thread. */
  interface Handler {
    default void onOpen(RelayWebSocket ws) {}

    void onText(String text);

    void onBinary(ByteBuffer data);

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
  private volatile Handler handler;
  private volatile TcpSocketWrapper socketWrapper;
  private volatile ServerHandshake response;
  private volatile boolean peerClosed;
  private volatile boolean failedLocally;
  private volatile boolean opened;
  private volatile Exception lastError;
  private volatile long lastReceivedNanos = System.nanoTime();
  private final CountDownLatch handshakeDone = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Object sentLock = new Object();

  /**
   * @param uri the full URI (may carry a capability in its query: never logged unredacted)
   * @param headers extra handshake headers (token included; never logged)
   * @param maxIncomingMessageSize frame and message cap; larger closes with 1009
   * @param connectTimeoutMillis the TCP connect timeout given to Java-WebSocket
   */
  RelayWebSocket(String role, URI uri, Map<String, String> headers, List<String> subprotocols,
      int maxIncomingMessageSize, int connectTimeoutMillis, String trackingId) {
    super(uri, new RelayDraft(maxIncomingMessageSize, subprotocols), headers, connectTimeoutMillis);
    this.uri = uri;
    this.name = "ws-" + role + "-" + Threads.nextId();
    this.trackingId = trackingId;
    setConnectionLostTimeout(0); // our own keep-alive
    setTcpNoDelay(true);
    setDaemon(true);
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

  /**
   * Connects TCP (and TLS), performs the WebSocket handshake, and returns once open.
   *
   * @throws RelayConnectException and subclasses for an HTTP refusal; RelayTimeoutException if the
   *     deadline passed; IOException for network failures
   */
  @SuppressWarnings("deprecation") // setSocket: we hand over a connected socket so that we own connect and TLS
  void open(SSLContext sslContext, long timeoutMillis) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, timeoutMillis));
    String host = uri.getHost();
    boolean tls = "wss".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() >= 0 ? uri.getPort() : tls ? 443 : 80;
    Socket raw = new Socket();
    Socket socket = raw;
    try {
      try {
        raw.setTcpNoDelay(true);
        raw.connect(new InetSocketAddress(host, port), remainingMillis(deadline));
      } catch (SocketTimeoutException e) {
        throw new RelayTimeoutException(0, "Timed out connecting to the relay at " + host + ":" + port, trackingId);
      }
      if (tls) {
        SSLContext ctx = sslContext;
        if (ctx == null) {
          try {
            ctx = SSLContext.getDefault();
          } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException("No default TLS context", e);
          }
        }
        SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true);
        SSLParameters params = ssl.getSSLParameters();
        configureTls(params, ssl.getSupportedProtocols());
        ssl.setSSLParameters(params);
        ssl.setUseClientMode(true);
        ssl.setSoTimeout(remainingMillis(deadline));
        try {
          ssl.startHandshake();
        } catch (SocketTimeoutException e) {
          throw new RelayTimeoutException(0, "Timed out in the TLS handshake with " + host + ":" + port, trackingId);
        }
        ssl.setSoTimeout(0);
        socket = ssl;
      }
      socketWrapper = new TcpSocketWrapper(socket, raw, new TcpSocketWrapper.Observer() {
        @Override
        public void bytesReceived(int n) {
          lastReceivedNanos = System.nanoTime();
        }

        @Override
        public void bytesSent(int n) {
          Handler h = handler;
          if (h instanceof SendProgressListener) {
            ((SendProgressListener) h).onSendProgress();
          }
        }
      });
      setSocket(socketWrapper);
      TcpSocketWrapper out = socketWrapper;
      ((RelayDraft) ((WebSocketImpl) getConnection()).getDraft()).directHandshake(request -> {
        java.io.OutputStream os = out.getOutputStream();
        os.write(request.array(), request.arrayOffset() + request.position(), request.remaining());
        os.flush();
      }, e -> {
        lastError = e;
        abort();
      });
    } catch (IOException | RuntimeException e) {
      closeQuietly(socket);
      closeQuietly(raw);
      throw e;
    }
    Threads.start(name, this);
    boolean done;
    try {
      done = handshakeDone.await(remainingMillis(deadline), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      throw new java.io.InterruptedIOException("Interrupted while connecting to " + safeUri());
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
    RelayDraft draft = (RelayDraft) ((WebSocketImpl) getConnection()).getDraft();
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

  private static void closeQuietly(Socket s) {
    try {
      s.close();
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

  /** Bytes queued in Java-WebSocket's (unbounded) output queue. */
  long queuedBytes() {
    long n = 0;
    for (ByteBuffer b : ((WebSocketImpl) getConnection()).outQueue) {
      n += b.remaining();
    }
    return n;
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

  /** Sends a binary message; false if the socket is no longer open. */
  boolean sendBinary(ByteBuffer data) {
    try {
      send(data);
      return true;
    } catch (WebsocketNotConnectedException e) {
      return false;
    }
  }

  /** Sends a text message; false if the socket is no longer open. */
  boolean sendText(String text) {
    try {
      send(text);
      return true;
    } catch (WebsocketNotConnectedException e) {
      return false;
    }
  }

  /** Sends a ping; false if the socket is no longer open. */
  boolean ping() {
    try {
      sendPing();
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
        sendFrame(frame);
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
    ((WebSocketImpl) getConnection()).flushAndClose(code, reason, true);
  }

  /** Echoes the peer's Close and closes (used for failures and the control channel). */
  void closeNow(int code, String reason) {
    WebSocketImpl engine = (WebSocketImpl) getConnection();
    if (engine.isOpen()) {
      engine.close(code, reason, true);
    }
  }

  /** Drops TCP with a reset. Idempotent; safe from any thread. */
  void abort() {
    TcpSocketWrapper w = socketWrapper;
    if (w != null) {
      w.abort();
    }
  }

  // --- called by RelayDraft on the read thread ---

  /** True once the peer broke a local limit; data frames are dropped from then on. */
  boolean hasFailedLocally() {
    return failedLocally;
  }

  /** Called by {@link RelayDraft} on the read thread when the peer breaks a local limit. */
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
  public void onOpen(ServerHandshake handshake) {
    response = handshake;
    opened = true;
    renameWriteThread();
    Handler h = handler;
    if (h != null) {
      h.onOpen(this);
    }
    handshakeDone.countDown();
  }

  private void renameWriteThread() {
    try {
      java.lang.reflect.Field f = WebSocketClient.class.getDeclaredField("writeThread");
      f.setAccessible(true);
      Thread t = (Thread) f.get(this);
      if (t != null) {
        t.setName(Thread.currentThread().getName() + "-writer");
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.trace("Cannot rename the WebSocket write thread", e);
    }
  }

  @Override
  public void onMessage(String message) {
    Handler h = handler;
    if (h != null) {
      h.onText(message);
    }
  }

  @Override
  public void onMessage(ByteBuffer bytes) {
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
  public void onClose(int code, String reason, boolean remote) {
    handshakeDone.countDown();
    Handler h = handler;
    try {
      if (h != null && opened) {
        h.onClosed(code, reason == null ? "" : reason, remote);
      }
    } finally {
      closed.countDown();
    }
  }

  @Override
  public void onError(Exception ex) {
    lastError = ex;
    if (log.isDebugEnabled()) {
      log.debug("WebSocket {} ({}): {}", safeUri(), trackingId, Redaction.text(String.valueOf(ex)));
    }
  }

  /** Implemented by handlers that wait for send-window space. */
  interface SendProgressListener {
    void onSendProgress();
  }
}
