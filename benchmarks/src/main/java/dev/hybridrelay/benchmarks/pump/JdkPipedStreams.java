package dev.hybridrelay.benchmarks.pump;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;

/** {@link PipedInputStream}/{@link PipedOutputStream} behind {@link BytePipe}, the JDK baseline. */
public final class JdkPipedStreams implements BytePipe {
  private final PipedInputStream in;
  private final PipedOutputStream out;

  public JdkPipedStreams(int capacity) {
    try {
      in = new PipedInputStream(capacity);
      out = new PipedOutputStream(in);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    out.flush();
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    return in.read(b, off, len);
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException ignored) {
      // closing the writer side of an in-memory pipe cannot fail meaningfully
    }
  }
}
