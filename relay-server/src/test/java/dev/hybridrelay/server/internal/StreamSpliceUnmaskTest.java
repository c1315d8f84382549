package dev.hybridrelay.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamSpliceUnmaskTest {
  static byte[] reference(byte[] data, int key, long offset) {
    byte[] out = data.clone();
    for (int i = 0; i < out.length; i++) {
      int m = (key >>> (24 - 8 * (int) ((offset + i) & 3))) & 0xFF;
      out[i] = (byte) (out[i] ^ m);
    }
    return out;
  }

  static byte[] bytes(ByteBuf b) {
    byte[] out = new byte[b.readableBytes()];
    b.getBytes(b.readerIndex(), out);
    return out;
  }

  @Test
  void unmasksEveryLengthAndOffsetLikeTheByteWiseDefinition() {
    Random rnd = new Random(1);
    int key = 0x9a3ce147;
    for (int len : new int[] {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 64, 65, 1000, 65536 + 5}) {
      for (long offset = 0; offset < 8; offset++) {
        byte[] data = new byte[len];
        rnd.nextBytes(data);
        byte[] want = reference(data, key, offset);
        ByteBuf heap = Unpooled.buffer(len + 3).writeZero(3).writeBytes(data).skipBytes(3);
        ByteBuf direct = Unpooled.directBuffer(len + 3).writeZero(3).writeBytes(data).skipBytes(3);
        StreamSpliceHandler.unmask(heap, key, offset);
        StreamSpliceHandler.unmask(direct, key, offset);
        assertThat(bytes(heap)).as("heap len %d offset %d", len, offset).isEqualTo(want);
        assertThat(bytes(direct)).as("direct len %d offset %d", len, offset).isEqualTo(want);
        heap.release();
        direct.release();
      }
    }
  }

  @Test
  void unmasksACompositeBufferByteWise() {
    byte[] data = new byte[100];
    new Random(2).nextBytes(data);
    CompositeByteBuf c = Unpooled.compositeBuffer();
    c.addComponent(true, Unpooled.wrappedBuffer(Arrays.copyOfRange(data, 0, 37)));
    c.addComponent(true, Unpooled.directBuffer(63).writeBytes(data, 37, 63));
    StreamSpliceHandler.unmask(c, 0x01020304, 2);
    assertThat(bytes(c)).isEqualTo(reference(data, 0x01020304, 2));
    c.release();
  }

  /** The relay unmasks a frame's part of its read buffer in place; the bytes around it stay as they are. */
  @Test
  void unmasksOnlyTheGivenRegionOfAReadBuffer() {
    byte[] data = new byte[300];
    new Random(4).nextBytes(data);
    for (ByteBuf b : new ByteBuf[] {Unpooled.directBuffer(300), Unpooled.buffer(300)}) {
      b.writeBytes(data);
      StreamSpliceHandler.unmask(b, 17, 201, 0x0badf00d, 3);
      byte[] want = data.clone();
      byte[] region = reference(Arrays.copyOfRange(data, 17, 218), 0x0badf00d, 3);
      System.arraycopy(region, 0, want, 17, region.length);
      assertThat(bytes(b)).isEqualTo(want);
      assertThat(b.readerIndex()).isZero();
      b.release();
    }
  }

  @Test
  void unmaskingTwiceRestoresTheData() {
    byte[] data = new byte[4099];
    new Random(3).nextBytes(data);
    ByteBuf b = Unpooled.directBuffer().writeBytes(data);
    StreamSpliceHandler.unmask(b, 0xdeadbeef, 5);
    assertThat(bytes(b)).isNotEqualTo(data);
    StreamSpliceHandler.unmask(b, 0xdeadbeef, 5);
    assertThat(bytes(b)).isEqualTo(data);
    b.release();
  }
}
