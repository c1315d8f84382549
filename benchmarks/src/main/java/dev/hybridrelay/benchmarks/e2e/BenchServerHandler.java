package dev.hybridrelay.benchmarks.e2e;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Server side of the in-process benchmarks, the same for every {@link Transport}. The first byte
 * selects the mode:
 *
 * <ul>
 *   <li>{@code 'E'}: echo every byte until EOF;
 *   <li>{@code 'S'}: sink — repeatedly read a 4-byte big-endian length N, read and discard N bytes,
 *       answer one byte; so a client measures one-way bulk throughput with a single ack per batch.
 * </ul>
 */
public final class BenchServerHandler {
  public static final int ECHO = 'E';
  public static final int SINK = 'S';

  private BenchServerHandler() {}

  public static void serve(InputStream in, OutputStream out) throws IOException {
    int mode = in.read();
    if (mode == ECHO) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
    } else if (mode == SINK) {
      DataInputStream data = new DataInputStream(in);
      byte[] buf = new byte[64 * 1024];
      while (true) {
        int len;
        try {
          len = data.readInt();
        } catch (EOFException e) {
          return;
        }
        while (len > 0) {
          int n = in.read(buf, 0, Math.min(buf.length, len));
          if (n < 0) {
            throw new EOFException("sink: stream ended with " + len + " bytes missing");
          }
          len -= n;
        }
        out.write(1);
        out.flush();
      }
    }
  }
}
