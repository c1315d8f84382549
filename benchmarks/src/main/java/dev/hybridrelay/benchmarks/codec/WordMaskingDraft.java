package dev.hybridrelay.benchmarks.codec;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.enums.Role;
import org.java_websocket.framing.Framedata;

/**
 * The smallest change that removes the encode hot spot without leaving Java-WebSocket: a
 * {@link Draft_6455} whose {@link #createBinaryFrame} writes the header with {@link FrameCodec} and
 * masks eight bytes at a time, with batched mask keys. relay-core's {@code RelayDraft} already
 * extends {@code Draft_6455}, so the same override can go there. Frame bytes are identical in
 * layout to the base class (no RSV bits, no extensions).
 */
public class WordMaskingDraft extends Draft_6455 {
  private final FrameCodec.MaskKeys keys = new FrameCodec.MaskKeys(new SecureRandom());

  @Override
  public ByteBuffer createBinaryFrame(Framedata framedata) {
    ByteBuffer mes = framedata.getPayloadData();
    boolean mask = role == Role.CLIENT;
    int len = mes.remaining();
    byte[] out = new byte[FrameCodec.headerLength(len, mask) + len];
    int key = mask ? keys.next() : 0;
    int h = FrameCodec.writeHeader(out, 0, opcode(framedata.getOpcode()), framedata.isFin(), len,
        mask, key);
    if (mes.hasArray()) {
      int off = mes.arrayOffset() + mes.position();
      if (mask) {
        Masking.maskWordwise(mes.array(), off, out, h, len, key, 0);
      } else {
        System.arraycopy(mes.array(), off, out, h, len);
      }
    } else {
      mes.duplicate().get(out, h, len);
      if (mask) {
        Masking.maskWordwise(out, h, out, h, len, key, 0);
      }
    }
    return ByteBuffer.wrap(out);
  }

  private static int opcode(Opcode op) {
    return switch (op) {
      case CONTINUOUS -> FrameCodec.OP_CONTINUATION;
      case TEXT -> FrameCodec.OP_TEXT;
      case BINARY -> FrameCodec.OP_BINARY;
      case CLOSING -> FrameCodec.OP_CLOSE;
      case PING -> FrameCodec.OP_PING;
      case PONG -> FrameCodec.OP_PONG;
    };
  }

  @Override
  public Draft copyInstance() {
    return new WordMaskingDraft();
  }
}
