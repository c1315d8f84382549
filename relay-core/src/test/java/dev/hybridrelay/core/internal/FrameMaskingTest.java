package dev.hybridrelay.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.enums.Role;
import org.java_websocket.framing.BinaryFrame;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.ContinuousFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.FramedataImpl1;
import org.java_websocket.framing.PingFrame;
import org.java_websocket.framing.PongFrame;
import org.java_websocket.framing.TextFrame;
import org.junit.jupiter.api.Test;

/**
 * {@link RelayDraft#createBinaryFrame} against Java-WebSocket's own {@link Draft_6455}: the frames must
 * be valid RFC 6455 frames that the base class decodes to the same payload, with the same header as
 * the base class writes, and masked with the key they carry.
 */
class FrameMaskingTest {
  private static final int[] SIZES = {0, 1, 125, 126, 993, 994, 4099, 65535, 65536, 70000};
  private final Random random = new Random(6455);

  @Test
  void binaryAndTextFramesOfEverySizeDecodeWithDraft6455() throws Exception {
    for (int size : SIZES) {
      byte[] data = bytes(size);
      check(binary(data, true), data);
      check(binary(data, false), data);
      byte[] text = textBytes(size);
      TextFrame t = new TextFrame();
      t.setPayload(ByteBuffer.wrap(text));
      check(t, text);
      ContinuousFrame c = new ContinuousFrame();
      c.setPayload(ByteBuffer.wrap(data));
      c.setFin(true);
      check(c, data);
    }
  }

  @Test
  void controlFramesDecodeWithDraft6455() throws Exception {
    for (int size : new int[] {0, 1, 125}) {
      byte[] data = bytes(size);
      PingFrame ping = new PingFrame();
      ping.setPayload(ByteBuffer.wrap(data));
      check(ping, data);
      PongFrame pong = new PongFrame();
      pong.setPayload(ByteBuffer.wrap(data));
      check(pong, data);
    }
    CloseFrame close = new CloseFrame();
    close.setCode(CloseFrame.NORMAL);
    close.setReason("Shutdown");
    byte[] expected = copy(close.getPayloadData());
    Framedata decoded = check(close, expected);
    assertThat(((CloseFrame) decoded).getCloseCode()).isEqualTo(CloseFrame.NORMAL);
    assertThat(((CloseFrame) decoded).getMessage()).isEqualTo("Shutdown");
  }

  @Test
  void payloadThatIsASliceOrDirectBufferIsEncodedFromItsPosition() throws Exception {
    byte[] data = bytes(70000);
    ByteBuffer backing = ByteBuffer.allocate(70013);
    backing.position(13);
    backing.put(data);
    backing.position(13);
    BinaryFrame sliced = new BinaryFrame();
    sliced.setPayload(backing.slice());
    check(sliced, data);

    for (int size : SIZES) {
      byte[] d = bytes(size);
      ByteBuffer direct = ByteBuffer.allocateDirect(size);
      direct.put(d).flip();
      BinaryFrame f = new BinaryFrame();
      f.setPayload(direct);
      check(f, d);
    }
  }

  @Test
  void payloadBufferIsLeftAsTheBaseClassLeavesIt() {
    for (Role role : Role.values()) {
      ByteBuffer ours = ByteBuffer.wrap(bytes(300));
      ByteBuffer theirs = ByteBuffer.wrap(bytes(300));
      ours.position(7);
      theirs.position(7);
      BinaryFrame a = new BinaryFrame();
      a.setPayload(ours);
      BinaryFrame b = new BinaryFrame();
      b.setPayload(theirs);
      relayDraft(role).createBinaryFrame(a);
      baseDraft(role).createBinaryFrame(b);
      assertThat(ours.position()).as(role.name()).isEqualTo(theirs.position());
      assertThat(ours.limit()).as(role.name()).isEqualTo(theirs.limit());
    }
  }

  @Test
  void serverRoleFramesAreUnmaskedAndByteIdenticalToTheBaseClass() {
    for (int size : SIZES) {
      byte[] data = bytes(size);
      ByteBuffer ours = relayDraft(Role.SERVER).createBinaryFrame(binary(data, true));
      ByteBuffer theirs = baseDraft(Role.SERVER).createBinaryFrame(binary(data, true));
      assertThat(copy(ours)).as("size %d", size).isEqualTo(copy(theirs));
    }
  }

  @Test
  void wordMaskingMatchesTheByteLoopAtEveryOffsetAndKeyPhase() {
    byte[] src = bytes(200);
    for (int key : new int[] {0, -1, 0x01020304, 0x80FF7F00, random.nextInt()}) {
      for (int off = 0; off < 9; off++) {
        for (int len = 0; len < 40; len++) {
          for (int phase = 0; phase < 4; phase++) {
            byte[] expected = new byte[len];
            for (int i = 0; i < len; i++) {
              int k = (key >>> (24 - 8 * ((phase + i) & 3))) & 0xFF;
              expected[i] = (byte) (src[off + i] ^ k);
            }
            byte[] actual = new byte[len + 5];
            FrameMasking.mask(src, off, actual, 5, len, key, phase);
            assertThat(Arrays.copyOfRange(actual, 5, 5 + len)).isEqualTo(expected);
          }
        }
      }
    }
  }

  /**
   * The data path's direct encoder (no frame object) gives the bytes {@link FrameMasking#encode}
   * gives for a final {@link BinaryFrame} with the same key, from an array, a slice of one, a heap
   * buffer and a direct buffer, and leaves the same buffer position.
   */
  @Test
  void directBinaryEncodingIsByteIdenticalToTheFrameEncoding() {
    for (int size : SIZES) {
      byte[] data = bytes(size + 7);
      byte[] expected = copy(FrameMasking.encode(binary(Arrays.copyOfRange(data, 3, 3 + size), true), true,
          fixedKeys(0x11223344)));
      assertThat(copy(FrameMasking.encodeMaskedBinary(data, 3, size, fixedKeys(0x11223344))))
          .as("array, %d bytes", size).isEqualTo(expected);
      ByteBuffer heap = ByteBuffer.wrap(data, 3, size).slice();
      assertThat(copy(FrameMasking.encodeMaskedBinary(heap, fixedKeys(0x11223344))))
          .as("heap slice, %d bytes", size).isEqualTo(expected);
      assertThat(heap.hasRemaining()).isFalse();
      ByteBuffer direct = ByteBuffer.allocateDirect(size + 5);
      direct.position(5);
      direct.put(data, 3, size).position(5);
      assertThat(copy(FrameMasking.encodeMaskedBinary(direct, fixedKeys(0x11223344))))
          .as("direct, %d bytes", size).isEqualTo(expected);
      assertThat(direct.position()).isEqualTo(size + 5);
    }
  }

  /**
   * The control channel's text frames (written without Java-WebSocket's frame objects) give the
   * bytes {@link FrameMasking#encode} gives for a {@link TextFrame} with the same key.
   */
  @Test
  void directTextEncodingIsByteIdenticalToTheFrameEncoding() {
    for (int size : SIZES) {
      byte[] text = textBytes(size);
      TextFrame t = new TextFrame();
      t.setPayload(ByteBuffer.wrap(text));
      byte[] expected = copy(FrameMasking.encode(t, true, fixedKeys(0x55667788)));
      assertThat(copy(FrameMasking.encodeMaskedText(text, 0, text.length, fixedKeys(0x55667788))))
          .as("text, %d bytes", size).isEqualTo(expected);
    }
  }

  /** The ASCII test that lets pure-ASCII text frames skip the UTF-8 decoder check. */
  @Test
  void asciiCheckFindsANonAsciiByteAtEveryOffset() {
    for (int len = 0; len < 40; len++) {
      byte[] b = new byte[len + 3];
      Arrays.fill(b, (byte) 'a');
      assertThat(RelayDraft.isAscii(ByteBuffer.wrap(b, 3, len))).isTrue();
      for (int i = 0; i < len; i++) {
        byte[] c = b.clone();
        c[3 + i] = (byte) 0xC3;
        assertThat(RelayDraft.isAscii(ByteBuffer.wrap(c, 3, len))).as("len %d, at %d", len, i).isFalse();
        ByteBuffer d = ByteBuffer.allocateDirect(len + 3).put(c);
        d.position(3);
        assertThat(RelayDraft.isAscii(d)).as("direct, len %d, at %d", len, i).isFalse();
        assertThat(d.position()).isEqualTo(3);
      }
      byte[] outside = b.clone();
      outside[0] = (byte) 0xC3; // before the position: not looked at
      assertThat(RelayDraft.isAscii(ByteBuffer.wrap(outside, 3, len))).isTrue();
    }
  }

  private static FrameMasking.MaskKeys fixedKeys(int key) {
    return new FrameMasking.MaskKeys(new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        for (int i = 0; i + 3 < bytes.length; i += 4) {
          ByteBuffer.wrap(bytes, i, 4).putInt(key);
        }
      }
    });
  }

  @Test
  void maskKeysComeFromThePoolFourBytesAtATime() {
    Random seeds = new Random(17);
    List<byte[]> fills = new java.util.ArrayList<>();
    FrameMasking.MaskKeys keys = new FrameMasking.MaskKeys(new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        seeds.nextBytes(bytes);
        fills.add(bytes.clone());
      }
    });
    int[] sizes = {FrameMasking.MaskKeys.FIRST, FrameMasking.MaskKeys.SECOND, FrameMasking.MaskKeys.LATER,
        FrameMasking.MaskKeys.LATER};
    for (int f = 0; f < sizes.length; f++) {
      for (int i = 0; i < sizes[f]; i += 4) {
        int got = keys.next();
        assertThat(fills).as("fill %d", f).hasSize(f + 1);
        assertThat(fills.get(f)).hasSize(sizes[f]);
        assertThat(got).isEqualTo(ByteBuffer.wrap(fills.get(f), i, 4).getInt());
      }
    }
  }

  /**
   * Encodes {@code frame} with {@link RelayDraft} in the client role; checks the header against the
   * base class's, the masking against the carried key, and decodes it with a server-role
   * {@link Draft_6455}.
   */
  private Framedata check(Framedata frame, byte[] payload) throws Exception {
    FramedataImpl1 twin;
    if (frame instanceof CloseFrame) { // its setPayload parses, it does not keep the bytes
      CloseFrame c = new CloseFrame();
      c.setCode(((CloseFrame) frame).getCloseCode());
      c.setReason(((CloseFrame) frame).getMessage());
      twin = c;
    } else {
      twin = FramedataImpl1.get(frame.getOpcode());
      twin.setFin(frame.isFin());
      twin.setPayload(ByteBuffer.wrap(payload.clone()));
    }
    byte[] ours = copy(relayDraft(Role.CLIENT).createBinaryFrame(frame));
    byte[] theirs = copy(baseDraft(Role.CLIENT).createBinaryFrame(twin));
    String what = frame.getOpcode() + " of " + payload.length + " bytes";

    assertThat(ours.length).as(what).isEqualTo(theirs.length);
    int header = FrameMasking.headerLength(payload.length, true);
    assertThat(ours[1] & 0x80).as(what + ": MASK bit").isEqualTo(0x80);
    // Everything before the mask key is identical: FIN, RSV, opcode, length form and value.
    assertThat(Arrays.copyOf(ours, header - 4)).as(what + ": header").isEqualTo(Arrays.copyOf(theirs, header - 4));
    byte[] key = Arrays.copyOfRange(ours, header - 4, header);
    for (int i = 0; i < payload.length; i++) {
      if ((byte) (ours[header + i] ^ key[i & 3]) != payload[i]) {
        throw new AssertionError(what + ": byte " + i + " not masked with the frame's key");
      }
    }

    Draft_6455 server = baseDraft(Role.SERVER);
    List<Framedata> decoded = server.translateFrame(ByteBuffer.wrap(ours));
    assertThat(decoded).as(what).hasSize(1);
    Framedata d = decoded.get(0);
    assertThat(d.getOpcode()).as(what).isEqualTo(frame.getOpcode());
    assertThat(d.isFin()).as(what).isEqualTo(frame.isFin());
    if (!(d instanceof CloseFrame)) { // a decoded CloseFrame keeps code and reason, checked by the caller
      assertThat(copy(d.getPayloadData())).as(what).isEqualTo(payload);
    }
    return d;
  }

  private static RelayDraft relayDraft(Role role) {
    RelayDraft d = new RelayDraft(Integer.MAX_VALUE, List.of());
    d.setParseMode(role);
    return d;
  }

  private static Draft_6455 baseDraft(Role role) {
    Draft_6455 d = new Draft_6455();
    d.setParseMode(role);
    return d;
  }

  private static BinaryFrame binary(byte[] data, boolean fin) {
    BinaryFrame f = new BinaryFrame();
    f.setPayload(ByteBuffer.wrap(data.clone()));
    f.setFin(fin);
    return f;
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private byte[] textBytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ('a' + random.nextInt(26));
    }
    return new String(b, StandardCharsets.US_ASCII).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] copy(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
