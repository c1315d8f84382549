package dev.hybridrelay.benchmarks.e2e;

import java.io.DataOutputStream;
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
 * One-way bulk throughput over one connection, in process: each operation writes {@code payload}
 * bytes in writes of {@code chunk} bytes and waits for the server's one-byte acknowledgement. The
 * transports run from {@code TCP_DIRECT} (floor) and {@code TCP_PROXY} (plain one-hop Java proxy,
 * the baseline) to the relay paths ({@code RELAY}, {@code RELAY_SOCKET}, {@code RELAY_FORWARDER}).
 *
 * <p>MiB/s = ops/s × payload / 2^20. Compare transports by ratio within one run.
 *
 * <p>Run (quick): {@code java -jar benchmarks/target/benchmarks.jar ThroughputBenchmark -f 1 -wi 2
 * -i 3 -r 2s -p payload=4194304 -p chunk=65536}; add {@code -prof gc} for allocation per op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class ThroughputBenchmark {
  @Param({"TCP_DIRECT", "TCP_PROXY", "TCP_PROXY3", "RELAY", "RELAY_SOCKET", "RELAY_FORWARDER"})
  public Transport transport;

  @Param({"1048576", "16777216"})
  public int payload;

  @Param({"1024", "16384", "65536"})
  public int chunk;

  private Fixture fixture;
  private Fixture.Conn conn;
  private OutputStream out;
  private DataOutputStream header;
  private InputStream in;
  private byte[] data;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    fixture = Fixture.start(transport);
    conn = fixture.open(BenchServerHandler.SINK);
    out = conn.out();
    header = new DataOutputStream(out);
    in = conn.in();
    data = new byte[chunk];
    java.util.concurrent.ThreadLocalRandom.current().nextBytes(data);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    conn.close();
    fixture.close();
  }

  @Benchmark
  public int transfer() throws IOException {
    header.writeInt(payload);
    for (int left = payload; left > 0; left -= chunk) {
      out.write(data, 0, Math.min(chunk, left));
    }
    out.flush();
    int ack = in.read();
    if (ack != 1) {
      throw new EOFException("no ack from server: " + ack);
    }
    return ack;
  }
}
