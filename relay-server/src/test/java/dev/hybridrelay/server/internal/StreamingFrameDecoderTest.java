package dev.hybridrelay.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The rendezvous connection's frame decoder: binary payload passed on per read, the rest gathered. */
class StreamingFrameDecoderTest {
  private static final int MAX = 16 << 20;
  private final Random random = new Random(42);

  /** A client frame: FIN/RSV/opcode byte, masked with a random key. */
  private byte[] frame(int b0, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(b0);
    int n = payload.length;
    if (n <= 125) {
      out.write(0x80 | n);
    } else if (n <= 0xFFFF) {
      out.write(0x80 | 126);
      out.write(n >>> 8);
      out.write(n);
    } else {
      out.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        out.write((int) ((long) n >>> (8 * i)));
      }
    }
    byte[] key = new byte[4];
    random.nextBytes(key);
    out.writeBytes(key);
    for (int i = 0; i < n; i++) {
      out.write(payload[i] ^ key[i & 3]);
    }
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** Feeds {@code wire} in chunks of 1..maxChunk bytes (all at once for MAX_VALUE); returns what the decoder passed on. */
  private List<WebSocketFrame> feed(EmbeddedChannel ch, byte[] wire, int maxChunk) {
    int i = 0;
    while (i < wire.length) {
      int n = maxChunk == Integer.MAX_VALUE ? wire.length : Math.min(wire.length - i, 1 + random.nextInt(maxChunk));
      ch.writeInbound(Unpooled.copiedBuffer(wire, i, n));
      i += n;
    }
    List<WebSocketFrame> out = new ArrayList<>();
    Object m;
    while ((m = ch.readInbound()) != null) {
      out.add((WebSocketFrame) m);
    }
    return out;
  }

  private static byte[] bytes(ByteBuf b) {
    byte[] a = new byte[b.readableBytes()];
    b.getBytes(b.readerIndex(), a);
    return a;
  }

  private static void releaseAll(List<WebSocketFrame> frames) {
    frames.forEach(WebSocketFrame::release);
  }

  @Test
  void binaryPayloadIsPassedOnPerReadAsOneFragmentedMessage() {
    byte[] body = new byte[200_000];
    random.nextBytes(body);
    for (int maxChunk : new int[] {1, 7, 4096, 70_000, Integer.MAX_VALUE}) {
      EmbeddedChannel ch = new EmbeddedChannel(new StreamingFrameDecoder(MAX));
      List<WebSocketFrame> got = feed(ch, frame(0x82, body), maxChunk);
      assertThat(got).isNotEmpty();
      assertThat(got.get(0)).isInstanceOf(BinaryWebSocketFrame.class);
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (int i = 0; i < got.size(); i++) {
        WebSocketFrame f = got.get(i);
        if (i > 0) {
          assertThat(f).isInstanceOf(ContinuationWebSocketFrame.class);
        }
        assertThat(f.isFinalFragment()).isEqualTo(i == got.size() - 1);
        assertThat(f.content().readableBytes()).isPositive();
        all.writeBytes(bytes(f.content()));
      }
      assertThat(all.toByteArray()).isEqualTo(body);
      if (maxChunk == Integer.MAX_VALUE) {
        assertThat(got).hasSize(1); // all in one read: one frame, as before
      } else {
        assertThat(got.size()).isGreaterThan(1); // passed on per read, not gathered
      }
      releaseAll(got);
      assertThat(ch.finish()).isFalse();
    }
  }

  @Test
  void theFirstBytesOfAFramePassBeforeTheFrameIsComplete() {
    byte[] body = new byte[65_536];
    random.nextBytes(body);
    byte[] wire = frame(0x82, body);
    EmbeddedChannel ch = new EmbeddedChannel(new StreamingFrameDecoder(MAX));
    ch.writeInbound(Unpooled.copiedBuffer(wire, 0, 1000));
    BinaryWebSocketFrame first = ch.readInbound();
    assertThat(first).isNotNull();
    assertThat(first.isFinalFragment()).isFalse();
    assertThat(bytes(first.content())).isEqualTo(java.util.Arrays.copyOfRange(body, 0, 1000 - 14)); // 14: the header with a 64-bit length
    first.release();
    ch.writeInbound(Unpooled.copiedBuffer(wire, 1000, wire.length - 1000));
    ContinuationWebSocketFrame rest = ch.readInbound();
    assertThat(rest.isFinalFragment()).isTrue();
    assertThat(rest.content().readableBytes()).isEqualTo(body.length - (1000 - 14));
    rest.release();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void fragmentedMessageWithPingBetweenAndEmptyFrames() {
    byte[] a = "first part ".getBytes(StandardCharsets.UTF_8);
    byte[] b = new byte[70_000];
    random.nextBytes(b);
    byte[] wire = concat(frame(0x02, a), frame(0x89, "p".getBytes(StandardCharsets.UTF_8)),
        frame(0x00, new byte[0]), frame(0x80, b), frame(0x82, new byte[0]));
    EmbeddedChannel ch = new EmbeddedChannel(new StreamingFrameDecoder(MAX));
    List<WebSocketFrame> got = feed(ch, wire, 3000);
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    int i = 0;
    assertThat(got.get(0)).isInstanceOf(BinaryWebSocketFrame.class);
    boolean sawPing = false;
    for (; i < got.size(); i++) {
      WebSocketFrame f = got.get(i);
      if (f instanceof PingWebSocketFrame) {
        assertThat(bytes(f.content())).isEqualTo("p".getBytes(StandardCharsets.UTF_8));
        sawPing = true;
        continue;
      }
      first.writeBytes(bytes(f.content()));
      if (f.isFinalFragment()) {
        break;
      }
    }
    assertThat(sawPing).isTrue();
    assertThat(first.toByteArray()).isEqualTo(concat(a, b));
    // then the empty binary message: one final frame without bytes
    assertThat(got.subList(i + 1, got.size())).hasSize(1);
    WebSocketFrame empty = got.get(i + 1);
    assertThat(empty).isInstanceOf(BinaryWebSocketFrame.class);
    assertThat(empty.isFinalFragment()).isTrue();
    assertThat(empty.content().readableBytes()).isZero();
    releaseAll(got);
  }

  @Test
  void textIsGatheredWholeAndCloseEndsReading() {
    String json = "{\"response\":{\"requestId\":\"r1\",\"statusCode\":200,\"padding\":\"" + "x".repeat(3000) + "\"}}";
    byte[] close = {0x03, (byte) 0xE8, 'b', 'y', 'e'};
    byte[] wire = concat(frame(0x81, json.getBytes(StandardCharsets.UTF_8)), frame(0x88, close),
        frame(0x82, new byte[] {1, 2, 3}));
    EmbeddedChannel ch = new EmbeddedChannel(new StreamingFrameDecoder(MAX));
    List<WebSocketFrame> got = feed(ch, wire, 100);
    assertThat(got).hasSize(2);
    assertThat(got.get(0)).isInstanceOf(TextWebSocketFrame.class);
    assertThat(((TextWebSocketFrame) got.get(0)).text()).isEqualTo(json);
    assertThat(got.get(1)).isInstanceOf(CloseWebSocketFrame.class);
    assertThat(((CloseWebSocketFrame) got.get(1)).statusCode()).isEqualTo(1000);
    assertThat(((CloseWebSocketFrame) got.get(1)).reasonText()).isEqualTo("bye");
    releaseAll(got);
  }

  private void assertViolation(byte[] wire, int status, String message) {
    EmbeddedChannel ch = new EmbeddedChannel(new StreamingFrameDecoder(1000));
    assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(wire)))
        .isInstanceOf(CorruptedWebSocketFrameException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((CorruptedWebSocketFrameException) e).closeStatus().code()).isEqualTo(status));
    Object m;
    while ((m = ch.readInbound()) != null) { // what came before the violation
      io.netty.util.ReferenceCountUtil.release(m);
    }
    // nothing after a violation is read
    ch.writeInbound(Unpooled.wrappedBuffer(frame(0x82, new byte[] {9})));
    assertThat((Object) ch.readInbound()).isNull();
    ch.finishAndReleaseAll();
  }

  @Test
  void protocolViolationsAreThoseOfNettysDecoder() {
    assertViolation(new byte[] {(byte) 0x82, 0x01, 0x05, 0, 0, 0}, 1002, "not masked");
    assertViolation(frame(0xC2, new byte[] {1}), 1002, "RSV");
    assertViolation(frame(0x83, new byte[] {1}), 1002, "reserved opcode");
    assertViolation(frame(0x8B, new byte[0]), 1002, "reserved opcode");
    assertViolation(frame(0x80, new byte[] {1}), 1002, "continuation data frame outside");
    assertViolation(concat(frame(0x02, new byte[] {1}), frame(0x82, new byte[] {2})), 1002,
        "non-continuation data frame while inside");
    assertViolation(frame(0x09, new byte[0]), 1002, "fragmented control frame");
    assertViolation(frame(0x89, new byte[126]), 1002, "payload length > 125");
    assertViolation(frame(0x82, new byte[1001]), 1009, "Max frame length of 1000");
    assertViolation(frame(0x88, new byte[] {3}), 1002, "Invalid close frame body");
    assertViolation(frame(0x88, new byte[] {0x03, (byte) 0xEC}), 1002, "Invalid close frame getStatus code: 1004");
    assertViolation(frame(0x88, new byte[] {0x03, (byte) 0xE8, (byte) 0xFF}), 1007, "not UTF-8");
    byte[] negative = {(byte) 0x82, (byte) (0x80 | 127), (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    assertViolation(negative, 1002, "negative length");
  }

  @Test
  void aHalfGatheredFrameIsReleasedWhenTheChannelCloses() {
    EmbeddedChannel ch = new EmbeddedChannel(new StreamingFrameDecoder(MAX));
    byte[] text = frame(0x81, "x".repeat(500).getBytes(StandardCharsets.UTF_8));
    ch.writeInbound(Unpooled.copiedBuffer(text, 0, 200));
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(ch.finish()).isFalse(); // channelInactive releases the gathered part (leak detector in paranoid runs)
  }
}
