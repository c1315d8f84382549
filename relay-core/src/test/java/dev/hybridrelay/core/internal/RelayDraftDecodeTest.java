package dev.hybridrelay.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Role;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.junit.jupiter.api.Test;

/**
 * {@link RelayDraft#translateFrame} (incremental decoding of the relay's unmasked frames) against
 * Java-WebSocket's {@link Draft_6455}: the same frames, or the same error, for the same bytes
 * arriving in any split.
 */
class RelayDraftDecodeTest {
  private static final int MAX = 200_000;
  private static final int[] SIZES = {0, 1, 125, 126, 65535, 65536, 70000};
  private final Random random = new Random(6455);

  @Test
  void dataAndControlFramesDecodeAsTheBaseClassDoesInAnySplit() throws Exception {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    for (int size : SIZES) {
      wire.writeBytes(frame(0x82, bytes(size), false)); // binary, FIN
      wire.writeBytes(frame(0x02, bytes(size), false)); // binary, not FIN
      wire.writeBytes(frame(0x89, bytes(Math.min(size, 125)), false)); // ping between fragments
      wire.writeBytes(frame(0x80, bytes(size), false)); // continuation, FIN
      wire.writeBytes(frame(0x81, text(size), false)); // text
    }
    wire.writeBytes(frame(0x81, "{\"h\":\"h\u00e9llo w\u00f6rld \u2713 \ud83d\ude00\"}".getBytes(StandardCharsets.UTF_8),
        false)); // text beyond ASCII: checked by the decoder
    wire.writeBytes(frame(0x8A, bytes(3), false)); // pong
    wire.writeBytes(frame(0x88, closePayload(1000, "Shutdown"), false));
    byte[] bytes = wire.toByteArray();
    for (int chunk : new int[] {1, 2, 3, 7, 125, 4096, 16384, 65536, bytes.length}) {
      assertSameFrames(bytes, chunk);
    }
    for (int round = 0; round < 5; round++) {
      assertSameFrames(bytes, -1);
    }
  }

  @Test
  void unusualFramesGoToTheBaseClassWithTheSameOutcome() throws Exception {
    byte[] before = frame(0x82, bytes(300), false);
    List<byte[]> unusual = List.of(
        frame(0x82, bytes(300), true), // masked (the base class accepts it)
        frame(0xC2, bytes(10), false), // RSV1
        frame(0x83, bytes(10), false), // reserved opcode
        frame(0x89, bytes(126), false), // control frame over 125 bytes
        frame(0x82, bytes(MAX + 1), false), // over the frame limit
        frame(0x09, bytes(4), false), // control frame without FIN
        frame(0x81, new byte[] {(byte) 0xC3, 0x28}, false), // text that is not UTF-8
        frame(0x81, "{\"request\":{\"id\":\"\u0000\"}}".replace('\u0000', (char) 0xFF)
            .getBytes(StandardCharsets.ISO_8859_1), false), // ASCII JSON but for one byte that is not UTF-8
        frame(0x88, closePayload(1004, ""), false)); // close code that must not be sent
    for (byte[] odd : unusual) {
      ByteArrayOutputStream wire = new ByteArrayOutputStream();
      wire.writeBytes(before);
      wire.writeBytes(odd);
      wire.writeBytes(frame(0x82, bytes(70000), false));
      byte[] bytes = wire.toByteArray();
      for (int chunk : new int[] {1, 5, 301, 4096, bytes.length}) {
        assertSameFrames(bytes, chunk);
      }
    }
  }

  @Test
  void resetClearsAPartialFrame() throws Exception {
    RelayDraft ours = draft();
    byte[] f = frame(0x82, bytes(1000), false);
    ours.translateFrame(ByteBuffer.wrap(f, 0, 500));
    ours.reset();
    ours.setParseMode(Role.CLIENT);
    List<Framedata> got = ours.translateFrame(ByteBuffer.wrap(f));
    assertThat(got).hasSize(1);
    assertThat(got.get(0).getPayloadData().remaining()).isEqualTo(1000);
  }

  /** Feeds {@code bytes} in chunks of {@code chunk} (random sizes if negative) to both decoders. */
  private void assertSameFrames(byte[] bytes, int chunk) throws Exception {
    Outcome ours = decode(draft(), bytes, chunk, new Random(chunk * 31L + 7));
    Draft_6455 base = new Draft_6455(List.of(), MAX);
    base.setParseMode(Role.CLIENT);
    Outcome theirs = decode(base, bytes, chunk, new Random(chunk * 31L + 7));
    assertThat(ours.frames).as("chunk %d", chunk).isEqualTo(theirs.frames);
    assertThat(ours.error).as("chunk %d", chunk).isEqualTo(theirs.error);
  }

  private static Outcome decode(Draft_6455 draft, byte[] bytes, int chunk, Random sizes) {
    Outcome out = new Outcome();
    int off = 0;
    try {
      while (off < bytes.length) {
        int n = chunk > 0 ? chunk : 1 + sizes.nextInt(20000);
        n = Math.min(n, bytes.length - off);
        // Overwritten after each read, as WebSocketClient reuses its read buffer: the decoder must copy.
        byte[] read = new byte[n];
        System.arraycopy(bytes, off, read, 0, n);
        List<Framedata> frames = draft.translateFrame(ByteBuffer.wrap(read));
        java.util.Arrays.fill(read, (byte) 0x55);
        for (Framedata f : frames) {
          out.frames.add(describe(f));
        }
        off += n;
      }
    } catch (InvalidDataException e) {
      out.error = e.getClass().getSimpleName() + " " + e.getCloseCode();
    }
    return out;
  }

  private static String describe(Framedata f) {
    StringBuilder s = new StringBuilder().append(f.getOpcode()).append(f.isFin() ? " fin" : " more");
    if (f instanceof CloseFrame) {
      CloseFrame c = (CloseFrame) f;
      return s.append(' ').append(c.getCloseCode()).append(' ').append(c.getMessage()).toString();
    }
    ByteBuffer p = f.getPayloadData().duplicate();
    byte[] b = new byte[p.remaining()];
    p.get(b);
    return s.append(' ').append(b.length).append(' ').append(java.util.Arrays.hashCode(b)).toString();
  }

  private static RelayDraft draft() {
    RelayDraft d = new RelayDraft(MAX, List.of());
    d.setParseMode(Role.CLIENT);
    return d;
  }

  private byte[] frame(int b0, byte[] payload, boolean masked) {
    int len = payload.length;
    byte[] out = new byte[FrameMasking.headerLength(len, masked) + len];
    int key = random.nextInt();
    int h = FrameMasking.writeHeader(out, b0, len, masked, key);
    if (masked) {
      FrameMasking.mask(payload, 0, out, h, len, key, 0);
    } else {
      System.arraycopy(payload, 0, out, h, len);
    }
    return out;
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private byte[] text(int n) {
    StringBuilder s = new StringBuilder();
    while (s.length() < n) {
      s.append((char) ('a' + random.nextInt(26)));
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] closePayload(int code, String reason) {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(2 + r.length);
    b.putShort((short) code).put(r);
    return b.array();
  }

  private static final class Outcome {
    final List<String> frames = new ArrayList<>();
    String error;
  }

  /** The reused frame list: iterated in order, once per call, and emptied by the next call. */
  @Test
  void theReusedFrameListIteratesEachCallsFramesInOrder() throws Exception {
    RelayDraft draft = new RelayDraft(MAX, List.of());
    draft.setParseMode(Role.CLIENT);
    byte[] a = bytes(2000);
    byte[] b = bytes(3000);
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(frame(0x82, a, false));
    wire.writeBytes(frame(0x82, b, false));
    wire.writeBytes(frame(0x81, text(5), false));
    List<Framedata> first = draft.translateFrame(ByteBuffer.wrap(wire.toByteArray()));
    List<Integer> sizes = new ArrayList<>();
    for (Framedata f : first) {
      sizes.add(f.getPayloadData().remaining());
    }
    assertThat(sizes).containsExactly(2000, 3000, 5);
    Iterator<Framedata> it = first.iterator();
    while (it.hasNext()) {
      it.next();
    }
    assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
    List<Framedata> second = draft.translateFrame(ByteBuffer.wrap(frame(0x82, bytes(7), false)));
    sizes.clear();
    for (Framedata f : second) {
      sizes.add(f.getPayloadData().remaining());
    }
    assertThat(sizes).containsExactly(7);
    assertThat(draft.translateFrame(ByteBuffer.allocate(0))).isEmpty();
  }
}
