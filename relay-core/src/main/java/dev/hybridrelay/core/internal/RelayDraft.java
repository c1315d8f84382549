package dev.hybridrelay.core.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.protocols.IProtocol;
import org.java_websocket.protocols.Protocol;

/**
 * RFC 6455 with the changes the relay needs over Java-WebSocket's {@link Draft_6455}:
 *
 * <ul>
 *   <li>No extensions (no permessage-deflate) and an explicit maximum frame size.
 *   <li>The bytes of a fragmented message (first frame plus every continuation) count against the
 *       same maximum; the base class checks only the first and last fragment. Too big: close 1009.
 *   <li>A received Close frame is not echoed at once: it is handed to {@link RelayWebSocket} so the
 *       input can report end-of-stream while the output keeps working (half-close, like .NET's
 *       {@code CloseOutputAsync}); our own Close goes out when the application shuts down its output.
 *   <li>The status line of the handshake response is captured, so a refusal's status and reason
 *       phrase reach the caller exactly.
 * </ul>
 *
 * <p>Java-WebSocket copies the draft once per connection ({@link #copyInstance()}), so the per-message
 * counters and the captured status are per connection.
 */
final class RelayDraft extends Draft_6455 {
  private final int maxMessageSize;
  private final List<String> offeredProtocols;
  private long fragmentedBytes;
  private volatile int responseStatus;
  private volatile String responseReason;

  RelayDraft(int maxMessageSize, List<String> offeredProtocols) {
    super(Collections.emptyList(), protocols(offeredProtocols), maxMessageSize);
    this.maxMessageSize = maxMessageSize;
    this.offeredProtocols = List.copyOf(offeredProtocols);
  }

  private static List<IProtocol> protocols(List<String> offered) {
    List<IProtocol> list = new ArrayList<>();
    for (String p : offered) {
      list.add(new Protocol(p));
    }
    list.add(new Protocol("")); // also accept a response that names no sub-protocol
    return list;
  }

  @Override
  public Draft copyInstance() {
    return new RelayDraft(maxMessageSize, offeredProtocols);
  }

  /** The HTTP status of the handshake response, 0 if none arrived. */
  int responseStatus() {
    return responseStatus;
  }

  /** The reason phrase of the handshake response, or null. */
  String responseReason() {
    return responseReason;
  }

  @Override
  public Handshakedata translateHandshake(ByteBuffer buf) throws InvalidHandshakeException {
    captureStatusLine(buf.duplicate());
    return super.translateHandshake(buf);
  }

  private void captureStatusLine(ByteBuffer b) {
    int start = b.position();
    for (int i = start; i < b.limit() - 1; i++) {
      if (b.get(i) == '\r' && b.get(i + 1) == '\n') {
        byte[] line = new byte[i - start];
        b.get(line);
        parseStatusLine(new String(line, StandardCharsets.UTF_8));
        return;
      }
    }
  }

  void parseStatusLine(String line) {
    String[] parts = line.split(" ", 3);
    if (parts.length >= 2 && parts[0].startsWith("HTTP/")) {
      try {
        responseStatus = Integer.parseInt(parts[1].trim());
        responseReason = parts.length == 3 ? parts[2].trim() : "";
      } catch (NumberFormatException ignored) {
        // not a status line
      }
    }
  }

  @Override
  public void processFrame(WebSocketImpl webSocketImpl, Framedata frame) throws InvalidDataException {
    RelayWebSocket socket = (RelayWebSocket) webSocketImpl.getWebSocketListener();
    Opcode op = frame.getOpcode();
    if (op == Opcode.CLOSING) {
      int code = CloseFrame.NOCODE;
      String reason = "";
      if (frame instanceof CloseFrame) {
        code = ((CloseFrame) frame).getCloseCode();
        reason = ((CloseFrame) frame).getMessage();
      }
      socket.peerClosed(code, reason);
      return;
    }
    if ((socket.hasPeerClosed() || socket.hasFailedLocally()) && op != Opcode.PING && op != Opcode.PONG) {
      return; // nothing may follow a Close, nor an oversized message
    }
    if (op == Opcode.CONTINUOUS || ((op == Opcode.TEXT || op == Opcode.BINARY) && !frame.isFin())) {
      if (op != Opcode.CONTINUOUS) {
        fragmentedBytes = 0;
      }
      fragmentedBytes += frame.getPayloadData().remaining();
      if (fragmentedBytes > maxMessageSize) {
        fragmentedBytes = 0;
        // Not Java-WebSocket's own close path: its read loop would close TCP before the write
        // thread flushed the Close frame, and the peer would see 1006 instead of 1009.
        socket.failLocally(CloseFrame.TOOBIG, "Message larger than " + maxMessageSize + " bytes");
        return;
      }
      if (op == Opcode.CONTINUOUS && frame.isFin()) {
        fragmentedBytes = 0;
      }
    }
    super.processFrame(webSocketImpl, frame);
  }
}
