package dev.hybridrelay.benchmarks.codec;

import dev.hybridrelay.server.internal.FrameUnmasking;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The relay's in-place unmasking of a client frame's payload in a pooled direct read buffer, as the
 * stream splice and the HTTP rendezvous decoder do it ({@code FrameUnmasking}), against the loop it
 * replaced (eight bytes per step through the buffer's internal NIO view with big-endian absolute
 * access), in the same run. Operations/s × size = bytes/s.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar UnmaskBenchmark -f 1 -wi 5 -i 5 -r 1s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class UnmaskBenchmark {
  @Param({"16384", "65536"})
  public int size;

  private ByteBuf buf;
  private int key;

  @Setup
  public void setup() {
    buf = PooledByteBufAllocator.DEFAULT.directBuffer(size + 14);
    byte[] data = new byte[size + 14];
    ThreadLocalRandom.current().nextBytes(data);
    buf.writeBytes(data);
    key = ThreadLocalRandom.current().nextInt();
  }

  @TearDown
  public void tearDown() {
    buf.release();
  }

  /** The relay's code: raw memory access after one bounds check. */
  @Benchmark
  public int production() {
    FrameUnmasking.unmask(buf, 14, size, key, 0);
    return buf.getByte(20);
  }

  /** The loop before: the internal NIO view, big-endian {@code getLong}/{@code putLong}. */
  @Benchmark
  public int nioViewLoop() {
    ByteBuffer nb = buf.internalNioBuffer(14, size);
    int base = nb.position();
    long longMask = ((long) key << 32) | (key & 0xFFFFFFFFL);
    for (int i = 0, end = size - 7; i < end; i += 8) {
      nb.putLong(base + i, nb.getLong(base + i) ^ longMask);
    }
    return buf.getByte(20);
  }
}
