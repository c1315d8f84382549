package dev.hybridrelay.forward.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DatagramFramingTest {

  private static byte[] bytes(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.duplicate().get(a);
    return a;
  }

  @Test
  void framesAreALengthInBigEndianAndThePayload() {
    ByteBuffer f = DatagramFraming.frame(ByteBuffer.wrap(new byte[] {9, 8, 7}));
    assertThat(bytes(f)).containsExactly(0, 3, 9, 8, 7);
    byte[] max = new byte[DatagramFraming.MAX_DATAGRAM];
    assertThat(bytes(DatagramFraming.frame(ByteBuffer.wrap(max)))).startsWith((byte) 0xff, (byte) 0xe3);
    assertThatThrownBy(() -> DatagramFraming.frame(ByteBuffer.wrap(new byte[DatagramFraming.MAX_DATAGRAM + 1])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0-65507");
  }

  @Test
  void theDecoderIgnoresMessageBoundaries() throws Exception {
    SplittableRandom rnd = new SplittableRandom(11);
    List<byte[]> sent = new ArrayList<>();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    int[] fixed = {0, 1, 2, DatagramFraming.MAX_DATAGRAM, 0, 65_000};
    for (int i = 0; i < 300; i++) {
      int n = i < fixed.length ? fixed[i] : rnd.nextInt(3) == 0 ? rnd.nextInt(DatagramFraming.MAX_DATAGRAM + 1)
          : rnd.nextInt(100);
      byte[] d = new byte[n];
      for (int j = 0; j < n; j++) {
        d[j] = (byte) rnd.nextInt(256);
      }
      sent.add(d);
      stream.writeBytes(bytes(DatagramFraming.frame(ByteBuffer.wrap(d))));
    }
    byte[] all = stream.toByteArray();
    for (int maxChunk : new int[] {1, 2, 3, 1000, 65_536, all.length}) {
      DatagramFraming.Decoder decoder = new DatagramFraming.Decoder();
      List<byte[]> got = new ArrayList<>();
      int off = 0;
      while (off < all.length) {
        int n = Math.min(all.length - off, 1 + rnd.nextInt(maxChunk));
        decoder.feed(ByteBuffer.wrap(all, off, n).slice(), d -> got.add(bytes(d)));
        off += n;
      }
      assertThat(decoder.inFrame()).isFalse();
      assertThat(got).as("chunks of at most %d bytes", maxChunk).hasSize(sent.size());
      for (int i = 0; i < sent.size(); i++) {
        assertThat(got.get(i)).isEqualTo(sent.get(i));
      }
    }
  }

  @Test
  void aLengthAbove65507IsMalformedEvenWhenItsHeaderIsSplit() throws Exception {
    DatagramFraming.Decoder decoder = new DatagramFraming.Decoder();
    List<byte[]> got = new ArrayList<>();
    decoder.feed(ByteBuffer.wrap(new byte[] {0, 1, 42, (byte) 0xff}), d -> got.add(bytes(d)));
    assertThat(got).hasSize(1);
    assertThatThrownBy(() -> decoder.feed(ByteBuffer.wrap(new byte[] {(byte) 0xe4, 1, 2}), d -> got.add(bytes(d))))
        .isInstanceOf(DatagramFraming.MalformedFrameException.class)
        .hasMessageContaining("65508").hasMessageContaining("at most 65507");
    assertThat(got).hasSize(1);
    assertThatThrownBy(() -> decoder.feed(ByteBuffer.wrap(new byte[] {0, 0}), d -> { }))
        .isInstanceOf(IllegalStateException.class);
  }
}
