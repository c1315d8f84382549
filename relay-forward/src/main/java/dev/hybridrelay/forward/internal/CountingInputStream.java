package dev.hybridrelay.forward.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts the bytes read and remembers whether reading failed (the sender's connection broke). */
public final class CountingInputStream extends FilterInputStream {
  public volatile long count;
  /** Reading the sender's body failed (its connection broke). */
  public volatile boolean failed;

  public CountingInputStream(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    int b;
    try {
      b = super.read();
    } catch (IOException e) {
      failed = true;
      throw e;
    }
    if (b >= 0) {
      count++;
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n;
    try {
      n = super.read(b, off, len);
    } catch (IOException e) {
      failed = true;
      throw e;
    }
    if (n > 0) {
      count += n;
    }
    return n;
  }
}
