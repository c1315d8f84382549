package dev.hybridrelay.server.testing;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ServerHandshake;

/**
 * A Java-WebSocket 1.6.0 client that records what happens to it: messages (text or binary),
 * the close (code, reason, remote) and errors. Daemon threads; every wait has a deadline.
 */
public final class WsClient extends WebSocketClient {
  /** A received message. */
  public record Message(boolean text, byte[] data) {
    public String asText() {
      return new String(data, StandardCharsets.UTF_8);
    }
  }

  /** How the connection ended. */
  public record Closed(int code, String reason, boolean remote) {}

  public final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
  private final CountDownLatch opened = new CountDownLatch(1);
  private final CountDownLatch closedLatch = new CountDownLatch(1);
  private volatile Closed closed;
  private volatile ServerHandshake handshake;
  public volatile int pongs;

  public WsClient(URI uri, Map<String, String> headers, SSLContext ssl) {
    super(uri, new Draft_6455(), headers, 10_000);
    setDaemon(true);
    setConnectionLostTimeout(0);
    if (ssl != null) {
      setSocketFactory(ssl.getSocketFactory());
    }
  }

  /** Connects and returns the client whether or not the handshake succeeded. */
  public static WsClient open(URI uri, Map<String, String> headers, SSLContext ssl) {
    WsClient c = new WsClient(uri, headers, ssl);
    try {
      c.connectBlocking(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return c;
  }

  @Override
  public void onOpen(ServerHandshake h) {
    handshake = h;
    opened.countDown();
  }

  /** Waits for a successful handshake. */
  public boolean awaitOpen(long timeoutMs) throws InterruptedException {
    return opened.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  public ServerHandshake handshake() {
    return handshake;
  }

  @Override
  public void onMessage(String message) {
    messages.add(new Message(true, message.getBytes(StandardCharsets.UTF_8)));
  }

  @Override
  public void onMessage(ByteBuffer bytes) {
    byte[] b = new byte[bytes.remaining()];
    bytes.get(b);
    messages.add(new Message(false, b));
  }

  @Override
  public void onWebsocketPong(org.java_websocket.WebSocket conn, Framedata f) {
    pongs++;
  }

  @Override
  public void onClose(int code, String reason, boolean remote) {
    closed = new Closed(code, reason, remote);
    closedLatch.countDown();
  }

  @Override
  public void onError(Exception ex) {
    // recorded through onClose
  }

  public Message nextMessage(long timeoutMs) throws InterruptedException {
    Message m = messages.poll(timeoutMs, TimeUnit.MILLISECONDS);
    if (m == null) {
      throw new AssertionError("no message within " + timeoutMs + " ms");
    }
    return m;
  }

  public Closed awaitClosed(long timeoutMs) throws InterruptedException {
    if (!closedLatch.await(timeoutMs, TimeUnit.MILLISECONDS)) {
      throw new AssertionError("not closed within " + timeoutMs + " ms");
    }
    return closed;
  }

  public Closed closedState() {
    return closed;
  }
}
