package dev.hybridrelay.benchmarks.pump;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The forwarding loop: read into one reused buffer, write it out, until EOF. One buffer per pump,
 * allocated once; nothing per iteration.
 */
public final class Pump {
  private Pump() {}

  /** Copies until EOF or until {@code limit} bytes moved; returns the byte count. */
  public static long copy(InputStream in, OutputStream out, byte[] buffer, long limit)
      throws IOException {
    long total = 0;
    while (total < limit) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total));
      if (n < 0) {
        break;
      }
      out.write(buffer, 0, n);
      total += n;
    }
    out.flush();
    return total;
  }
}
