package dev.hybridrelay.benchmarks.e2e;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * One-byte round trip on an established connection (write one byte, read the echo), in process,
 * per {@link Transport}. Sample mode reports p50/p99 (µs).
 *
 * <p>Run (quick): {@code java -jar benchmarks/target/benchmarks.jar PingPongLatencyBenchmark -f 1
 * -wi 2 -i 3 -r 2s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PingPongLatencyBenchmark {
  @Param({"TCP_DIRECT", "TCP_PROXY", "TCP_PROXY3", "RELAY", "RELAY_SOCKET", "RELAY_FORWARDER"})
  public Transport transport;

  private Fixture fixture;
  private Fixture.Conn conn;
  private OutputStream out;
  private InputStream in;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    fixture = Fixture.start(transport);
    conn = fixture.open(BenchServerHandler.ECHO);
    out = conn.out();
    in = conn.in();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    conn.close();
    fixture.close();
  }

  @Benchmark
  public int roundTrip() throws IOException {
    out.write(42);
    out.flush();
    int b = in.read();
    if (b != 42) {
      throw new EOFException("echo returned " + b);
    }
    return b;
  }
}
