package dev.hybridrelay.forward.internal;

import java.io.IOException;
import java.io.InputStream;

/** Blocking reads from a non-blocking channel, waiting on a selector of its own. */
public final class ChannelInput extends InputStream {
  private final java.nio.channels.SocketChannel ch;
  private java.nio.channels.Selector selector;

  public ChannelInput(java.nio.channels.SocketChannel ch) {
    this.ch = ch;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b, off, len);
    while (true) {
      int n = ch.read(bb);
      if (n != 0) {
        return n;
      }
      synchronized (this) {
        if (selector == null) {
          selector = java.nio.channels.Selector.open();
          ch.register(selector, java.nio.channels.SelectionKey.OP_READ);
        }
      }
      try {
        selector.select();
        selector.selectedKeys().clear();
      } catch (java.nio.channels.ClosedSelectorException e) {
        throw new java.net.SocketException("The connection to the target was closed");
      }
      if (!ch.isOpen()) {
        throw new java.net.SocketException("The connection to the target was closed");
      }
    }
  }

  @Override
  public void close() throws IOException {
    ch.close();
    synchronized (this) {
      if (selector != null) {
        selector.close(); // wakes a reader blocked in select
      }
    }
  }
}

