package dev.hybridrelay.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridrelay.testkit.RawWebSocket;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * The listener side of a hybrid connection spoken with {@link RawWebSocket}: a control channel and,
 * per accept message, a raw rendezvous WebSocket, so that a test decides every frame the listener
 * sends (for example a Close 1001 in answer to the sender's Close).
 */
public final class RawListenerSide implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final SSLContext tls;
  private final Duration timeout;
  private final RawWebSocket control;

  /** Opens the control channel at {@code listenUri} ({@code ws} or {@code wss}, token in the query). */
  public RawListenerSide(URI listenUri, SSLContext tls, Duration timeout) throws IOException {
    this.tls = tls;
    this.timeout = timeout;
    control = RawWebSocket.connect(listenUri, tls, timeout);
    RawWebSocket.HandshakeResponse r = control.handshake(listenUri.getRawPath() + "?" + listenUri.getRawQuery(),
        Map.of());
    if (r.status() != 101) {
      control.close();
      throw new IOException("listen refused: " + r.statusLine());
    }
  }

  /** Waits for the next accept message and opens its rendezvous WebSocket. */
  public RawWebSocket acceptNext() throws IOException {
    while (true) {
      RawWebSocket.Frame f = control.readFrame(timeout);
      if (f.opcode() == RawWebSocket.OP_PING) {
        control.sendFrame(true, RawWebSocket.OP_PONG, true, f.payload());
        continue;
      }
      if (f.opcode() != RawWebSocket.OP_TEXT) {
        throw new IOException("unexpected control frame " + f);
      }
      JsonNode accept = JSON.readTree(f.text()).get("accept");
      if (accept == null) {
        continue;
      }
      URI address = URI.create(accept.get("address").asText());
      RawWebSocket rv = RawWebSocket.connect(address, tls, timeout);
      RawWebSocket.HandshakeResponse r = rv.handshake(address.getRawPath() + "?" + address.getRawQuery(), Map.of());
      if (r.status() != 101) {
        rv.close();
        throw new IOException("accept refused: " + r.statusLine());
      }
      return rv;
    }
  }

  /** Reads frames until a Close, appending data payloads to {@code data}; returns the Close. */
  public static RawWebSocket.Frame readUntilClose(RawWebSocket ws, ByteArrayOutputStream data, Duration timeout)
      throws IOException {
    while (true) {
      RawWebSocket.Frame f = ws.readFrame(timeout);
      switch (f.opcode()) {
        case RawWebSocket.OP_CLOSE:
          return f;
        case RawWebSocket.OP_BINARY:
        case RawWebSocket.OP_TEXT:
        case RawWebSocket.OP_CONTINUATION:
          data.write(f.payload());
          break;
        default:
          break;
      }
    }
  }

  /** True if the TCP connection ends (FIN or reset) within {@code timeout}, frames discarded. */
  public static boolean tcpEnds(RawWebSocket ws, Duration timeout) {
    try {
      while (true) {
        ws.readFrame(timeout);
      }
    } catch (EOFException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() {
    control.close();
  }
}
