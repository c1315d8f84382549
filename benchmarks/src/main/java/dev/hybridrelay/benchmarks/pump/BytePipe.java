package dev.hybridrelay.benchmarks.pump;

import java.io.IOException;

/** A bounded in-memory byte pipe: one writer thread, one reader thread. */
public interface BytePipe {
  /** Writes all {@code len} bytes, blocking while the pipe is full. */
  void write(byte[] b, int off, int len) throws IOException;

  /** Reads at least one byte, blocking while the pipe is empty; -1 after close and drain. */
  int read(byte[] b, int off, int len) throws IOException;

  /** Writer side: no more bytes will come. */
  void close();
}
