package dev.hybridrelay.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The header of one client-to-server WebSocket frame, gathered byte by byte across reads, and the
 * checks of Netty's {@code WebSocket13FrameDecoder} as the relay configures it (masked frames
 * required, no extensions): the part shared by the relay's own frame readers, {@link
 * StreamSpliceHandler} and {@link StreamingFrameDecoder}.
 *
 * <p>Not thread-safe: one per connection, on its event loop.
 */
final class ClientFrameHeader {
  /** A broken rule: the close code and the reason Netty's decoder gives. */
  record Violation(int code, String reason) {}

  private final byte[] header = new byte[14];
  private int have;
  /** Of the last complete header. */
  int b0;
  boolean fin;
  int opcode;
  long length;
  int maskKey;

  /**
   * Reads header bytes from {@code in}; true once the header is complete (its fields are then set,
   * and the next call starts the next header), false when {@code in} ran out first.
   */
  boolean read(ByteBuf in) {
    int need = length();
    while (have < need && in.isReadable()) {
      header[have++] = in.readByte();
      need = length();
    }
    if (have < need) {
      return false;
    }
    b0 = header[0] & 0xFF;
    fin = (b0 & 0x80) != 0;
    opcode = b0 & 0x0F;
    int len7 = header[1] & 0x7F;
    int p = 2;
    if (len7 == 126) {
      length = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
      p = 4;
    } else if (len7 == 127) {
      length = 0;
      for (int i = 2; i < 10; i++) {
        length = (length << 8) | (header[i] & 0xFF);
      }
      p = 10;
    } else {
      length = len7;
    }
    maskKey = ((header[p] & 0xFF) << 24) | ((header[p + 1] & 0xFF) << 16) | ((header[p + 2] & 0xFF) << 8)
        | (header[p + 3] & 0xFF);
    have = 0;
    return true;
  }

  private int length() {
    if (have < 2) {
      return 2;
    }
    int len7 = header[1] & 0x7F;
    return (len7 == 126 ? 4 : len7 == 127 ? 10 : 2) + 4;
  }

  boolean isControl() {
    return opcode >= 8;
  }

  /**
   * The rule the last header breaks, or null: RSV bits, an unmasked frame, a reserved opcode, a
   * fragmented or over-125-byte control frame, a continuation outside a fragmented message or a new
   * message inside one ({@code fragmenting}: a data frame without FIN came before), a negative
   * length (1002); a payload over {@code maxFramePayload} (1009).
   */
  Violation check(boolean fragmenting, int maxFramePayload) {
    if ((b0 & 0x70) != 0) {
      return new Violation(1002, "RSV != 0 and no extension negotiated");
    }
    if ((header[1] & 0x80) == 0) {
      return new Violation(1002, "received a frame that is not masked as expected");
    }
    if (isControl()) {
      if (opcode > 10) {
        return new Violation(1002, "control frame using reserved opcode " + opcode);
      }
      if (!fin) {
        return new Violation(1002, "fragmented control frame");
      }
      if (length > 125) {
        return new Violation(1002, "control frame with payload length > 125 octets");
      }
    } else {
      if (opcode > 2) {
        return new Violation(1002, "data frame using reserved opcode " + opcode);
      }
      if (opcode == 0 && !fragmenting) {
        return new Violation(1002, "received continuation data frame outside fragmented message");
      }
      if (opcode != 0 && fragmenting) {
        return new Violation(1002, "received non-continuation data frame while inside fragmented message");
      }
    }
    if (length < 0) {
      return new Violation(1002, "invalid data frame length (negative length)");
    }
    if (length > maxFramePayload) {
      return new Violation(1009, "Max frame length of " + maxFramePayload + " has been exceeded.");
    }
    return null;
  }

  /**
   * The rule an (unmasked) Close payload breaks, or null: one byte long or an invalid code (1002), a
   * reason that is not UTF-8 (1007). The buffer is not moved.
   */
  static Violation checkCloseBody(ByteBuf payload) {
    int len = payload.readableBytes();
    if (len == 1) {
      return new Violation(1002, "Invalid close frame body");
    }
    if (len >= 2) {
      int code = payload.getUnsignedShort(payload.readerIndex());
      if (!WebSocketCloseStatus.isValidStatusCode(code)) {
        return new Violation(1002, "Invalid close frame getStatus code: " + code);
      }
      if (len > 2 && !validUtf8(payload, payload.readerIndex() + 2, len - 2)) {
        return new Violation(1007, "bytes are not UTF-8");
      }
    }
    return null;
  }

  private static boolean validUtf8(ByteBuf b, int index, int length) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b.nioBuffer(index, length));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
