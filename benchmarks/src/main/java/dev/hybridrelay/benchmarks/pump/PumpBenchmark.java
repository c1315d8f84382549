package dev.hybridrelay.benchmarks.pump;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * The byte pump of a relay connection: a writer thread pushes {@code chunk} bytes per operation
 * into a bounded pipe of {@code capacity} bytes, and a reader thread (started in setup) drains it
 * into a reused buffer, as the WebSocket reader thread feeds a connection's input stream.
 *
 * <ul>
 *   <li>{@code pipe} with {@code impl=SPSC}: {@link SpscBytePipe} (volatile positions,
 *       park/unpark) — target 0 B/op;
 *   <li>{@code impl=LOCK}: {@link LockBytePipe} (ReentrantLock + Conditions);
 *   <li>{@code impl=JDK_PIPED}: {@link java.io.PipedInputStream} baseline.
 * </ul>
 *
 * <p>The single-threaded forwarding loop is measured by {@link StreamCopyBenchmark}.
 *
 * <p>Run (quick): {@code java -jar benchmarks/target/benchmarks.jar PumpBenchmark -f 1 -wi 2 -i 3
 * -r 2s -prof gc}. Bytes per second = ops/s × {@code chunk}. {@code gc.alloc.rate.norm} counts
 * both threads.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PumpBenchmark {
  /** Pipe implementations. */
  public enum Impl {
    SPSC, LOCK, JDK_PIPED
  }

  @Param({"SPSC", "LOCK", "JDK_PIPED"})
  public Impl impl;

  @Param({"1024", "16384", "65536"})
  public int chunk;

  @Param({"262144"})
  public int capacity;

  private BytePipe pipe;
  private Thread reader;
  private byte[] data;

  @Setup(Level.Trial)
  public void setup() {
    data = new byte[chunk];
    pipe = switch (impl) {
      case SPSC -> new SpscBytePipe(capacity);
      case LOCK -> new LockBytePipe(capacity);
      case JDK_PIPED -> new JdkPipedStreams(capacity);
    };
    BytePipe p = pipe;
    reader = new Thread(() -> {
      byte[] buf = new byte[65536];
      try {
        while (p.read(buf, 0, buf.length) >= 0) {
          // drain
        }
      } catch (IOException ignored) {
        // benchmark teardown
      }
    }, "pump-reader");
    reader.setDaemon(true);
    reader.start();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    pipe.close();
    reader.join(5000);
  }

  @Benchmark
  public void pipe() throws IOException {
    pipe.write(data, 0, data.length);
  }
}
