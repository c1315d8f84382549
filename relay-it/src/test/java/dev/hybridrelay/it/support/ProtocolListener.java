package dev.hybridrelay.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.handshake.ServerHandshake;

/**
 * A listener that follows the wire protocol directly with Java-WebSocket, independent of the
 * library: a control channel, {@code accept} notifications parsed from JSON, and rendezvous
 * WebSockets. In {@link Mode#ECHO} every message is echoed back with its type (text or binary)
 * and its boundaries, which is what a WebSocket conformance run needs behind the relay.
 */
public final class ProtocolListener implements AutoCloseable {

  /** What to do with an {@code accept}. */
  public enum Mode {
    /** Open the rendezvous and echo every message with its type. */
    ECHO,
    /** Record the accept and never open the rendezvous (a stalled listener). */
    IGNORE
  }

  /** One received {@code accept} notification. */
  public record Accept(String address, String id, Map<String, String> connectHeaders,
      String rawJson) {
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Mode mode;
  private final Control control;
  private final BlockingQueue<Accept> accepts = new LinkedBlockingQueue<>();
  private final List<WebSocketClient> rendezvous = new CopyOnWriteArrayList<>();
  private final BlockingQueue<String> otherMessages = new LinkedBlockingQueue<>();
  private final AtomicInteger echoedMessages = new AtomicInteger();
  private volatile int closeCode = -1;
  private volatile String closeReason;

  /** Opens the control channel to {@code listenUri} and waits until it is up. */
  public ProtocolListener(URI listenUri, Mode mode) throws InterruptedException {
    this.mode = mode;
    this.control = new Control(listenUri);
    if (!control.connectBlocking(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("control channel did not open: " + closeCode + " "
          + closeReason);
    }
  }

  /** Accept notifications received so far, in order. */
  public BlockingQueue<Accept> accepts() {
    return accepts;
  }

  /** Control messages that were not {@code accept}. */
  public BlockingQueue<String> otherMessages() {
    return otherMessages;
  }

  /** Messages echoed so far on all rendezvous sockets. */
  public int echoedMessages() {
    return echoedMessages.get();
  }

  /** The control channel socket (for sending arbitrary control messages). */
  public WebSocketClient control() {
    return control;
  }

  /** Close code of the control channel, or -1 while open. */
  public int controlCloseCode() {
    return closeCode;
  }

  /** Whether the control channel is open. */
  public boolean isOpen() {
    return control.isOpen();
  }

  /** Opens an echoing rendezvous for {@code address}; returns it once connected (or failed). */
  public WebSocketClient openEcho(String address) throws InterruptedException {
    WebSocketClient c = new Echo(URI.create(address));
    rendezvous.add(c);
    c.connectBlocking(10, TimeUnit.SECONDS);
    return c;
  }

  @Override
  public void close() {
    for (WebSocketClient c : rendezvous) {
      try {
        c.closeBlocking();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      control.closeBlocking();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Control extends WebSocketClient {
    Control(URI uri) {
      super(uri, new Draft_6455(), Map.of(), 10_000);
      setConnectionLostTimeout(0);
    }

    @Override
    public void onOpen(ServerHandshake h) {
    }

    @Override
    public void onMessage(String message) {
      try {
        JsonNode n = JSON.readTree(message);
        JsonNode a = n.get("accept");
        if (a == null) {
          otherMessages.add(message);
          return;
        }
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        JsonNode h = a.get("connectHeaders");
        if (h != null) {
          h.fields().forEachRemaining(e -> headers.put(e.getKey(), e.getValue().asText()));
        }
        Accept acc = new Accept(a.get("address").asText(), a.path("id").asText(), headers,
            message);
        accepts.add(acc);
        if (mode == Mode.ECHO) {
          Echo e = new Echo(URI.create(acc.address()));
          rendezvous.add(e);
          e.connect(); // asynchronous: never block the control channel's thread
        }
      } catch (Exception e) {
        otherMessages.add("UNPARSEABLE " + e);
      }
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
      closeCode = code;
      closeReason = reason;
    }

    @Override
    public void onError(Exception ex) {
    }
  }

  private final class Echo extends WebSocketClient {
    Echo(URI uri) {
      super(uri, new Draft_6455(), Map.of(), 10_000);
      setConnectionLostTimeout(0);
    }

    @Override
    public void onOpen(ServerHandshake h) {
    }

    @Override
    public void onMessage(String message) {
      if (isOpen()) {
        send(message);
        echoedMessages.incrementAndGet();
      }
    }

    @Override
    public void onMessage(ByteBuffer bytes) {
      if (isOpen()) {
        send(bytes);
        echoedMessages.incrementAndGet();
      }
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
      rendezvous.remove(this);
    }

    @Override
    public void onError(Exception ex) {
    }
  }
}
