package dev.hybridrelay.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameUnmaskingTest {
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
        FrameUnmasking.unmask(heap, key, offset);
        FrameUnmasking.unmask(direct, key, offset);
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
    FrameUnmasking.unmask(c, 0x01020304, 2);
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
      FrameUnmasking.unmask(b, 17, 201, 0x0badf00d, 3);
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
    FrameUnmasking.unmask(b, 0xdeadbeef, 5);
    assertThat(bytes(b)).isNotEqualTo(data);
    FrameUnmasking.unmask(b, 0xdeadbeef, 5);
    assertThat(bytes(b)).isEqualTo(data);
    b.release();
  }

  /** The relay's read buffers: pooled direct buffers with a memory address (the raw-memory loop). */
  @Test
  void unmasksPooledDirectBuffersLikeTheByteWiseDefinition() {
    Random rnd = new Random(5);
    for (int len : new int[] {1, 7, 8, 9, 63, 64, 65, 4096, 65536, 65543}) {
      byte[] data = new byte[len];
      rnd.nextBytes(data);
      int key = rnd.nextInt();
      for (long offset = 0; offset < 4; offset++) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(len + 5).writeZero(5).writeBytes(data).skipBytes(5);
        FrameUnmasking.unmask(b, key, offset);
        assertThat(bytes(b)).as("len %d offset %d", len, offset).isEqualTo(reference(data, key, offset));
        assertThat(b.getByte(4)).isZero();
        b.release();
      }
    }
  }

  /** A range past the buffer's end is refused before any byte is touched (no write outside it). */
  @Test
  void refusesARangeOutsideTheBuffer() {
    ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64, 64).writeZero(64);
    assertThatThrownBy(() -> FrameUnmasking.unmask(b, 60, 16, 0x01020304, 0))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> FrameUnmasking.unmask(b, -1, 8, 0x01020304, 0))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(bytes(b)).containsOnly(0);
    b.release();
  }
}
