package dev.hybridrelay.benchmarks.e2e;

import java.io.EOFException;
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
 * Connection setup cost, in process: connect (for the relay: sender WebSocket, rendezvous,
 * listener accept), one-byte echo to prove the path, close. Sample mode reports p50/p99 (µs).
 *
 * <p>Run (quick): {@code java -jar benchmarks/target/benchmarks.jar ConnectBenchmark -f 1 -wi 2 -i 3
 * -r 2s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ConnectBenchmark {
  @Param({"TCP_DIRECT", "TCP_PROXY", "TCP_PROXY3", "RELAY", "RELAY_SOCKET", "RELAY_FORWARDER"})
  public Transport transport;

  private Fixture fixture;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    fixture = Fixture.start(transport);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    fixture.close();
  }

  @Benchmark
  public int connectEchoClose() throws IOException {
    try (Fixture.Conn c = fixture.open(BenchServerHandler.ECHO)) {
      c.out().write(7);
      c.out().flush();
      int b = c.in().read();
      if (b != 7) {
        throw new EOFException("echo returned " + b);
      }
      return b;
    }
  }
}
