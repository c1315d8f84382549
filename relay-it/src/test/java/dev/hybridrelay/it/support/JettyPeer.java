package dev.hybridrelay.it.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.websocket.ClientEndpointConfig;
import javax.websocket.CloseReason;
import javax.websocket.Endpoint;
import javax.websocket.EndpointConfig;
import javax.websocket.HandshakeResponse;
import javax.websocket.MessageHandler;
import javax.websocket.Session;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.websocket.jsr356.ClientContainer;

/**
 * Jetty 9.4's {@code javax.websocket} client, the transport of the official Java SDK
 * ({@code com.microsoft.azure:azure-relay}), as a peer of the relay: it keeps Jetty's defaults
 * (a 64 KiB maximum binary message, Close then {@code shutdownOutput} when it closes) and receives
 * binary messages in parts as the SDK does.
 *
 * <p>One container per instance (its own threads, stopped by {@link #close()}); {@link #connect}
 * may be called from several threads.
 */
public final class JettyPeer implements AutoCloseable {
  private final HttpClient http;
  private final ClientContainer container;

  private JettyPeer(SSLContext tls) throws Exception {
    SslContextFactory.Client ssl = new SslContextFactory.Client();
    if (tls != null) {
      ssl.setSslContext(tls);
    }
    ssl.setEndpointIdentificationAlgorithm("HTTPS");
    http = new HttpClient(ssl);
    container = new ClientContainer(http);
    container.start();
  }

  /** A started Jetty client container; {@code tls} (may be null) is the trust for {@code wss}. */
  public static JettyPeer start(SSLContext tls) throws Exception {
    return new JettyPeer(tls);
  }

  /**
   * The largest binary message Jetty accepts, its default (64 KiB) left unchanged here: a
   * bigger one makes Jetty close with 1009.
   */
  public long maxBinaryMessageSize() {
    return container.getPolicy().getMaxBinaryMessageSize();
  }

  /**
   * Opens a WebSocket to {@code uri} with extra handshake {@code headers} (for example
   * {@code ServiceBusAuthorization}); returns once open.
   */
  public Conn connect(URI uri, Map<String, String> headers) throws Exception {
    return connect(uri, headers, new Conn());
  }

  /** As {@link #connect(URI, Map)} with a session object prepared by the caller (handlers set). */
  public Conn connect(URI uri, Map<String, String> headers, Conn conn) throws Exception {
    ClientEndpointConfig config = ClientEndpointConfig.Builder.create()
        .configurator(new ClientEndpointConfig.Configurator() {
          @Override
          public void beforeRequest(Map<String, List<String>> request) {
            headers.forEach((k, v) -> request.put(k, List.of(v)));
          }

          @Override
          public void afterResponse(HandshakeResponse response) {
            // nothing
          }
        }).build();
    container.connectToServer(conn, config, uri);
    return conn;
  }

  @Override
  public void close() throws Exception {
    container.stop();
    http.stop();
  }

  /** One Jetty WebSocket session: what it received, and how it ended. */
  public static final class Conn extends Endpoint {
    /** Received messages: {@code byte[]} for binary (whole, parts joined), {@code String} for text. */
    public final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    /** Completed with the close reason Jetty reports (1006 if the connection dropped). */
    public final CompletableFuture<CloseReason> closed = new CompletableFuture<>();
    /** Errors Jetty reported. */
    public final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicInteger largestMessage = new AtomicInteger();
    private final AtomicInteger binaryMessages = new AtomicInteger();
    private volatile Session session;
    private volatile java.util.function.Consumer<byte[]> onBinary;

    @Override
    public void onOpen(Session s, EndpointConfig config) {
      this.session = s;
      ByteArrayOutputStream parts = new ByteArrayOutputStream();
      s.addMessageHandler(new MessageHandler.Partial<byte[]>() {
        @Override
        public void onMessage(byte[] part, boolean last) {
          parts.write(part, 0, part.length);
          if (last) {
            byte[] whole = parts.toByteArray();
            parts.reset();
            largestMessage.accumulateAndGet(whole.length, Math::max);
            binaryMessages.incrementAndGet();
            java.util.function.Consumer<byte[]> h = onBinary;
            if (h != null) {
              h.accept(whole);
            } else {
              messages.add(whole);
            }
          }
        }
      });
      s.addMessageHandler(new MessageHandler.Whole<String>() {
        @Override
        public void onMessage(String text) {
          messages.add(text);
        }
      });
    }

    @Override
    public void onClose(Session s, CloseReason reason) {
      closed.complete(reason);
    }

    @Override
    public void onError(Session s, Throwable t) {
      errors.add(t);
    }

    /** Handles binary messages on Jetty's thread instead of queueing them (for echoing). */
    public void onBinary(java.util.function.Consumer<byte[]> handler) {
      this.onBinary = handler;
    }

    /** The session. */
    public Session session() {
      return session;
    }

    /**
     * Sends one binary message (blocking). A copy goes to Jetty: its client masks the payload in
     * the buffer it is given.
     */
    public void send(byte[] data) throws IOException {
      send(data, 0, data.length);
    }

    /** Sends one binary message of {@code data[off..off+len)} (blocking; a copy, as {@link #send(byte[])}). */
    public void send(byte[] data, int off, int len) throws IOException {
      session.getBasicRemote().sendBinary(ByteBuffer.wrap(java.util.Arrays.copyOfRange(data, off, off + len)));
    }

    /** Starts Jetty's close: Close frame with {@code code} and {@code reason}, then shutdownOutput. */
    public void close(int code, String reason) throws IOException {
      session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason));
    }

    /** Waits for the session to end and returns Jetty's close reason. */
    public CloseReason awaitClosed(Duration timeout) throws Exception {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Takes the next received message. */
    public Object next(Duration timeout) throws InterruptedException {
      Object m = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (m == null) {
        throw new AssertionError("no message within " + timeout);
      }
      return m;
    }

    /** Reads binary messages until {@code total} bytes arrived; returns them joined. */
    public byte[] readBinary(long total, Duration timeout) throws InterruptedException {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (out.size() < total) {
        Object m = messages.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        if (m == null) {
          throw new AssertionError("only " + out.size() + " of " + total + " bytes within " + timeout
              + (closed.isDone() ? "; closed: " + closed.join() : ""));
        }
        if (m instanceof byte[] b) {
          out.write(b, 0, b.length);
        }
      }
      return out.toByteArray();
    }

    /** The largest binary message received so far. */
    public int largestMessage() {
      return largestMessage.get();
    }

    /** Binary messages received so far. */
    public int binaryMessages() {
      return binaryMessages.get();
    }

    /** Every received message so far, texts as they are (for diagnostics). */
    public List<Object> drain() {
      List<Object> all = new ArrayList<>();
      messages.drainTo(all);
      return all;
    }
  }
}
