package dev.hybridrelay.core.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.enums.Role;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.framing.BinaryFrame;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.FramedataImpl1;
import org.java_websocket.framing.TextFrame;
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
 *   <li>Frames are encoded by {@link FrameMasking}: the payload is masked eight bytes at a time with
 *       mask keys from a per-connection pool, instead of the base class's byte-by-byte loop and one
 *       {@code SecureRandom.nextInt()} per frame. The bytes on the wire have the same layout.
 *   <li>Received frames are decoded incrementally: a frame that spans several socket reads is copied
 *       once, straight into its payload buffer, instead of into a frame-sized holding buffer first and
 *       then into the payload. Only the plain case is handled here (unmasked, no RSV bits, a known
 *       opcode, a control frame of at most 125 bytes, a length within the limit); at the first frame
 *       that is anything else, decoding is handed to the base class for the rest of the connection,
 *       so its checks and exceptions apply unchanged.
 * </ul>
 *
 * <p>Java-WebSocket copies the draft once per connection ({@link #copyInstance()}), so the per-message
 * counters and the captured status are per connection.
 *
 * <p>Public (in an internal package, no compatibility promise) only so that the benchmarks measure this
 * class rather than a copy.
 */
public final class RelayDraft extends Draft_6455 {
  /** Refills every connection's mask-key pool; SecureRandom is thread-safe. */
  private static final SecureRandom MASK_RANDOM = new SecureRandom();

  private final FrameMasking.MaskKeys maskKeys = new FrameMasking.MaskKeys(MASK_RANDOM);
  private final int maxMessageSize;
  private final List<String> offeredProtocols;
  private long fragmentedBytes;
  private volatile int responseStatus;
  private volatile String responseReason;

  // Incremental decoder state; translateFrame runs on the connection's I/O loop thread only.
  private final byte[] header = new byte[10];
  private int headerHave;
  private FramedataImpl1 partialFrame;
  private ByteBuffer partialPayload;
  private boolean baseDecodes;


  /** With {@link #streamBinaryFragments()}: binary fragments are handed over one by one. */
  private volatile boolean streamBinary;
  private boolean inStreamedBinary;

  /**
   * Binary messages are delivered fragment by fragment ({@link RelayWebSocket#binaryFragment}) instead
   * of assembled; the frame cap still applies to each frame, there is no message cap.
   */
  void streamBinaryFragments() {
    streamBinary = true;
  }

  /**
   * A draft that accepts messages of up to {@code maxMessageSize} bytes and offers
   * {@code offeredProtocols} as WebSocket sub-protocols.
   */
  public RelayDraft(int maxMessageSize, List<String> offeredProtocols) {
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

  @Override
  public ByteBuffer createBinaryFrame(Framedata framedata) {
    getExtension().encodeFrame(framedata); // the default extension: no change (no extensions are offered)
    return FrameMasking.encode(framedata, role == Role.CLIENT, maskKeys);
  }

  /**
   * Gives a frame from {@link #createBinaryFrame} back to the frame pool once all of it was written
   * (what {@code RelayWebSocket} does after the socket took it); the caller must not touch it
   * afterwards. Frames not from the pool (1,000 bytes or less, heap buffers) are ignored.
   */
  public static void releaseFrame(ByteBuffer frame) {
    BufferPool.FRAMES.release(frame);
  }

  /** True if this draft masks what it sends (the client role, which every relay WebSocket has). */
  boolean masksOutput() {
    return role == Role.CLIENT;
  }

  /** A masked final binary frame of {@code src[off..off+len)}, as {@link #createBinaryFrame} would encode it. */
  ByteBuffer encodeBinary(byte[] src, int off, int len) {
    return FrameMasking.encodeMaskedBinary(src, off, len, maskKeys);
  }

  /** A masked final text frame of the (well-formed) UTF-8 bytes {@code utf8}. */
  ByteBuffer encodeText(byte[] utf8) {
    return FrameMasking.encodeMaskedText(utf8, 0, utf8.length, maskKeys);
  }

  /** As {@link #encodeBinary(byte[], int, int)} for the remaining bytes of {@code src}, which are consumed. */
  ByteBuffer encodeBinary(ByteBuffer src) {
    return FrameMasking.encodeMaskedBinary(src, maskKeys);
  }

  /** Whether the remaining bytes are all below 0x80 (eight at a time); the buffer is not moved. */
  static boolean isAscii(ByteBuffer b) {
    int i = b.position();
    int end = b.limit();
    for (; i + 8 <= end; i += 8) {
      if ((b.getLong(i) & 0x8080808080808080L) != 0) {
        return false;
      }
    }
    for (; i < end; i++) {
      if (b.get(i) < 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public List<Framedata> translateFrame(ByteBuffer buffer) throws InvalidDataException {
    if (baseDecodes) {
      return super.translateFrame(buffer);
    }
    List<Framedata> frames = null;
    int reused = 0;
    while (true) {
      if (partialFrame != null) {
        ByteBuffer payload = partialPayload;
        int n = Math.min(payload.remaining(), buffer.remaining());
        if (n > 0) {
          if (buffer.hasArray()) {
            payload.put(buffer.array(), buffer.arrayOffset() + buffer.position(), n);
          } else {
            // absolute bulk copy: no duplicate of the (direct) read buffer per frame
            payload.put(payload.position(), buffer, buffer.position(), n);
            payload.position(payload.position() + n);
          }
          buffer.position(buffer.position() + n);
        }
        if (payload.hasRemaining()) {
          break; // the rest of the payload comes with a later read
        }
        FramedataImpl1 frame = partialFrame;
        partialFrame = null;
        partialPayload = null;
        payload.flip();
        if (frame == FINAL_BINARY) {
          // A final binary frame is only read (payload, FIN, opcode) while this list is processed and
          // never kept, so this call's n-th such frame reuses the n-th instance.
          frame = reusableBinary(reused++);
        }
        frame.setPayload(payload);
        if (!(frame instanceof TextFrame) || !isAscii(payload)) {
          frame.isValid(); // as the base class: UTF-8 of text, close code and reason, FIN of control frames
        } // ASCII is well-formed UTF-8: the control channel's JSON skips the decoder-based check
        if (frames == null) {
          frames = decoded;
          decoded.clear();
        }
        frames.add(frame);
        continue;
      }
      if (!buffer.hasRemaining()) {
        break;
      }
      int need = headerHave < 2 ? 2 : headerLength(header[1]);
      while (headerHave < need && buffer.hasRemaining()) {
        header[headerHave++] = buffer.get();
        if (headerHave == 2) {
          need = headerLength(header[1]);
        }
      }
      if (headerHave < need) {
        break; // the rest of the header comes with a later read
      }
      int b0 = header[0] & 0xFF;
      int len7 = header[1] & 0x7F;
      long length = len7;
      if (len7 == 126) {
        length = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
      } else if (len7 == 127) {
        length = 0;
        for (int i = 2; i < 10; i++) {
          length = (length << 8) | (header[i] & 0xFF);
        }
      }
      Opcode op = plainOpcode(b0 & 0x0F);
      boolean plain = (b0 & 0x70) == 0 // no RSV bits
          && (header[1] & 0x80) == 0 // not masked
          && op != null
          && (len7 <= 125 || !isControl(op))
          && length >= 0 && length <= maxMessageSize;
      if (!plain) {
        // Hand this frame and everything after it to the base class, which raises the same error,
        // or decodes it, exactly as it would have without this override.
        baseDecodes = true;
        ByteBuffer rest = ByteBuffer.allocate(need + buffer.remaining());
        rest.put(header, 0, need).put(buffer).flip();
        headerHave = 0;
        List<Framedata> more = super.translateFrame(rest);
        if (frames == null) {
          return more;
        }
        List<Framedata> all = new ArrayList<>(frames);
        all.addAll(more);
        decoded.clear();
        return all;
      }
      headerHave = 0;
      boolean finBit = (b0 & 0x80) != 0;
      FramedataImpl1 frame;
      if (op == Opcode.BINARY && finBit) {
        frame = FINAL_BINARY; // a marker: replaced by a reused instance once complete
      } else {
        frame = FramedataImpl1.get(op);
        frame.setFin(finBit);
      }
      partialFrame = frame;
      partialPayload = BufferPool.PAYLOADS.acquire((int) length);
    }
    return frames == null ? Collections.emptyList() : frames;
  }

  /** The marker of a final binary frame being received (see {@link #reusableBinary}); never handed out. */
  private static final BinaryFrame FINAL_BINARY = new BinaryFrame();
  /** The list {@link #translateFrame} returns; Java-WebSocket iterates it once and does not keep it. */
  private final FrameList decoded = new FrameList();

  /**
   * The decoded frames of one {@link #translateFrame} call, reused from call to call, with one
   * reused iterator: Java-WebSocket's decode loop iterates the list once per socket read (a
   * for-each), and an {@code ArrayList} iterator was the largest allocation left on the client's
   * receive path (the Performance page, "In-process bulk, third round"). Used on the connection's
   * I/O loop thread only, like the rest of the decoder state; an iteration must end before the next
   * {@code translateFrame} call, which Java-WebSocket's loop guarantees.
   */
  static final class FrameList extends java.util.AbstractList<Framedata> {
    private final ArrayList<Framedata> items = new ArrayList<>(4);
    private final Iter iter = new Iter();

    @Override
    public boolean add(Framedata f) {
      return items.add(f);
    }

    @Override
    public void clear() {
      items.clear();
    }

    @Override
    public Framedata get(int i) {
      return items.get(i);
    }

    @Override
    public int size() {
      return items.size();
    }

    @Override
    public java.util.Iterator<Framedata> iterator() {
      iter.next = 0;
      return iter;
    }

    private final class Iter implements java.util.Iterator<Framedata> {
      int next;

      @Override
      public boolean hasNext() {
        return next < items.size();
      }

      @Override
      public Framedata next() {
        if (next >= items.size()) {
          throw new java.util.NoSuchElementException();
        }
        return items.get(next++);
      }
    }
  }

  private BinaryFrame[] binaries = new BinaryFrame[0];

  /** The {@code i}-th reusable final binary frame of one {@link #translateFrame} call. */
  private BinaryFrame reusableBinary(int i) {
    if (i >= binaries.length) {
      binaries = java.util.Arrays.copyOf(binaries, Math.max(4, binaries.length * 2));
    }
    BinaryFrame f = binaries[i];
    if (f == null) {
      f = new BinaryFrame();
      binaries[i] = f;
    }
    f.setFin(true);
    return f;
  }

  /** Header length given its second byte; no mask key (a masked frame goes to the base class). */
  private static int headerLength(byte b1) {
    int len7 = b1 & 0x7F;
    return len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
  }

  private static Opcode plainOpcode(int code) {
    switch (code) {
      case 0x0:
        return Opcode.CONTINUOUS;
      case 0x1:
        return Opcode.TEXT;
      case 0x2:
        return Opcode.BINARY;
      case 0x8:
        return Opcode.CLOSING;
      case 0x9:
        return Opcode.PING;
      case 0xA:
        return Opcode.PONG;
      default:
        return null;
    }
  }

  private static boolean isControl(Opcode op) {
    return op == Opcode.CLOSING || op == Opcode.PING || op == Opcode.PONG;
  }

  @Override
  public void reset() {
    super.reset();
    headerHave = 0;
    partialFrame = null;
    partialPayload = null;
    baseDecodes = false;
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
    if (streamBinary && (op == Opcode.BINARY || (op == Opcode.CONTINUOUS && inStreamedBinary))) {
      // Streaming: each fragment goes to the socket's handler as it arrives, never assembled.
      inStreamedBinary = !frame.isFin();
      socket.binaryFragment(frame.getPayloadData(), frame.isFin());
      return;
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
