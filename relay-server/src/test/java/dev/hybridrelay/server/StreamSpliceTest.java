package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The relay forwards data frames as a stream (header first, then the payload as it arrives): frames
 * split across many TCP segments arrive intact, with the mask removed at every offset, and a control
 * frame the relay writes into a leg (a Pong) never lands inside a data frame being forwarded into it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamSpliceTest {
  RelayFixture relay;

  @BeforeAll
  void start() {
    relay = RelayFixture.start(false);
  }

  @AfterAll
  void stop() {
    relay.close();
  }

  RawWs[] splicedRaw(TestListener l, String hc) throws Exception {
    CompletableFuture<RawWs> sender = CompletableFuture.supplyAsync(() -> {
      try {
        return relay.rawSender(hc, RelayFixture.auth(RelayFixture.token(hc)));
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    JsonNode accept = l.nextAccept(5000);
    RawWs b = l.acceptRaw(accept, Map.of());
    return new RawWs[] {sender.get(5, TimeUnit.SECONDS), b};
  }

  /** Masks {@code payload} with {@code key} as a client does. */
  static byte[] masked(byte[] key, byte[] payload) {
    byte[] out = new byte[payload.length];
    for (int i = 0; i < payload.length; i++) {
      out[i] = (byte) (payload[i] ^ key[i & 3]);
    }
    return out;
  }

  @Test
  void aFrameWrittenInOddSizedPiecesArrivesIntactAndUnmasked() throws Exception {
    try (TestListener l = relay.listen("pieces")) {
      RawWs[] pair = splicedRaw(l, "pieces");
      Random rnd = new Random(7);
      byte[] payload = new byte[70_001];
      rnd.nextBytes(payload);
      byte[] key = {(byte) 0x9a, 0x3c, (byte) 0xe1, 0x47};
      byte[] wire = masked(key, payload);
      pair[0].writeHeader(RawWs.BINARY, true, payload.length);
      pair[0].writeRaw(key);
      int off = 0;
      int[] sizes = {1, 2, 3, 5, 7, 11, 13, 4093, 1, 8191, 6};
      int k = 0;
      while (off < wire.length) {
        int n = Math.min(sizes[k++ % sizes.length], wire.length - off);
        pair[0].writeRaw(Arrays.copyOfRange(wire, off, off + n));
        off += n;
        if (k % 7 == 0) {
          Thread.sleep(1); // let the relay forward what it has: the frame crosses many reads
        }
      }
      RawWs.Frame f = pair[1].readDataOrClose();
      assertThat(f.opcode()).isEqualTo(RawWs.BINARY);
      assertThat(f.fin()).isTrue();
      assertThat(f.payload()).isEqualTo(payload);
    }
  }

  @Test
  void aPongToALegWaitsUntilTheDataFrameBeingForwardedIntoItIsComplete() throws Exception {
    try (TestListener l = relay.listen("interleave")) {
      RawWs[] pair = splicedRaw(l, "interleave");
      byte[] payload = new byte[1000];
      new Random(3).nextBytes(payload);
      byte[] key = {1, 2, 3, 4};
      byte[] wire = masked(key, payload);
      pair[0].writeHeader(RawWs.BINARY, true, payload.length);
      pair[0].writeRaw(key);
      pair[0].writeRaw(Arrays.copyOfRange(wire, 0, 500));
      Thread.sleep(200); // the first half is forwarded to the listener leg
      pair[1].send(RawWs.PING, true, "p".getBytes(StandardCharsets.UTF_8));
      Thread.sleep(200); // the relay has the Ping; the Pong must wait
      pair[0].writeRaw(Arrays.copyOfRange(wire, 500, 1000));
      RawWs.Frame data = pair[1].readFrame();
      assertThat(data.opcode()).isEqualTo(RawWs.BINARY);
      assertThat(data.payload()).isEqualTo(payload);
      RawWs.Frame pong = pair[1].readFrame();
      assertThat(pong.opcode()).isEqualTo(RawWs.PONG);
      assertThat(new String(pong.payload(), StandardCharsets.UTF_8)).isEqualTo("p");
    }
  }

  @Test
  void fragmentsAndInterleavedControlFramesPassInOrder() throws Exception {
    try (TestListener l = relay.listen("fragments")) {
      RawWs[] pair = splicedRaw(l, "fragments");
      pair[0].send(RawWs.TEXT, false, "hel".getBytes(StandardCharsets.UTF_8));
      pair[0].send(RawWs.PING, true, new byte[0]);
      pair[0].send(RawWs.CONTINUATION, false, "lo ".getBytes(StandardCharsets.UTF_8));
      pair[0].send(RawWs.CONTINUATION, true, "world".getBytes(StandardCharsets.UTF_8));
      RawWs.Frame pong = pair[0].readFrame();
      assertThat(pong.opcode()).isEqualTo(RawWs.PONG);
      StringBuilder text = new StringBuilder();
      RawWs.Frame f;
      do {
        f = pair[1].readFrame();
        text.append(new String(f.payload(), StandardCharsets.UTF_8));
      } while (!f.fin());
      assertThat(text.toString()).isEqualTo("hello world");
    }
  }

  @Test
  void aContinuationWithoutAStartClosesBothLegsWith1002() throws Exception {
    try (TestListener l = relay.listen("badcont")) {
      RawWs[] pair = splicedRaw(l, "badcont");
      pair[0].send(RawWs.CONTINUATION, true, new byte[] {1});
      assertThat(pair[0].readDataOrClose().closeCode()).isEqualTo(1002);
      assertThat(pair[1].readDataOrClose().closeCode()).isEqualTo(1002);
    }
  }
}
