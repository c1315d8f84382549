package dev.hybridrelay.it.support;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.handshake.ServerHandshake;

/**
 * A sender on plain Java-WebSocket: received messages land in {@link #messages()} (String for
 * text, byte[] for binary); {@link #closed()} completes with the close code.
 */
public final class ProtocolSender extends WebSocketClient {
  private final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private volatile String closeReason;

  /** A sender for {@code uri} (not yet connected). */
  public ProtocolSender(URI uri) {
    super(uri, new Draft_6455(), Map.of(), 10_000);
    setConnectionLostTimeout(0);
  }

  /** Received messages. */
  public BlockingQueue<Object> messages() {
    return messages;
  }

  /** Completes with the close code (1006 for abnormal closes). */
  public CompletableFuture<Integer> closed() {
    return closed;
  }

  /** Reason of the close (or the handshake failure text). */
  public String closeReason() {
    return closeReason;
  }

  @Override
  public void onOpen(ServerHandshake h) {
  }

  @Override
  public void onMessage(String message) {
    messages.add(message);
  }

  @Override
  public void onMessage(ByteBuffer bytes) {
    byte[] b = new byte[bytes.remaining()];
    bytes.get(b);
    messages.add(b);
  }

  @Override
  public void onClose(int code, String reason, boolean remote) {
    closeReason = reason;
    closed.complete(code);
  }

  @Override
  public void onError(Exception ex) {
  }
}
