package dev.hybridrelay.benchmarks.pump;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The forwarder loop without sockets: {@link Pump#copy} from an endless in-memory stream to
 * {@link OutputStream#nullOutputStream()} through one reused buffer. The steady state must be
 * 0 B/op; anything else means the loop allocates per read.
 *
 * <p>Run (quick): {@code java -jar benchmarks/target/benchmarks.jar StreamCopyBenchmark -f 1 -wi 2
 * -i 3 -r 2s -prof gc}. Bytes per second = ops/s × {@code chunk}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StreamCopyBenchmark {
  @Param({"1024", "16384", "65536"})
  public int chunk;

  private InputStream source;
  private OutputStream sink;
  private byte[] buffer;

  @Setup
  public void setup() {
    source = new RepeatingInputStream(chunk);
    sink = OutputStream.nullOutputStream();
    buffer = new byte[chunk];
  }

  @Benchmark
  public long streamCopy() throws IOException {
    return Pump.copy(source, sink, buffer, chunk);
  }

  /** An endless stream that fills reads from a fixed array without allocating. */
  static final class RepeatingInputStream extends InputStream {
    private final byte[] pattern;

    RepeatingInputStream(int size) {
      pattern = new byte[size];
    }

    @Override
    public int read() {
      return 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      int n = Math.min(len, pattern.length);
      System.arraycopy(pattern, 0, b, off, n);
      return n;
    }
  }
}
