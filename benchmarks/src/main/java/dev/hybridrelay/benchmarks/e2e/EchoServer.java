package dev.hybridrelay.benchmarks.e2e;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

/**
 * Single-threaded NIO echo server on loopback: one selector thread for any number of connections,
 * so holding 10,000 idle connections costs no threads. Echoes every byte; closes after the peer's
 * EOF once everything was written back.
 *
 * <p>{@code java -cp benchmarks.jar dev.hybridrelay.benchmarks.e2e.EchoServer <port>} (port 0 picks
 * one; the bound port is printed as {@code PORT=n}).
 */
public final class EchoServer implements Closeable {
  private final Selector selector;
  private final ServerSocketChannel server;
  private final Thread thread;
  private volatile boolean running = true;

  public EchoServer(int port) throws IOException {
    selector = Selector.open();
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress("127.0.0.1", port), 4096);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    thread = new Thread(this::loop, "echo-server");
    thread.setDaemon(true);
    thread.start();
  }

  public int port() {
    return server.socket().getLocalPort();
  }

  private void loop() {
    ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
    try {
      while (running) {
        selector.select();
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          try {
            if (!key.isValid()) {
              continue;
            }
            if (key.isAcceptable()) {
              SocketChannel ch;
              while ((ch = server.accept()) != null) {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.register(selector, SelectionKey.OP_READ);
              }
            } else if (key.isWritable()) {
              SocketChannel ch = (SocketChannel) key.channel();
              ByteBuffer pending = (ByteBuffer) key.attachment();
              ch.write(pending);
              if (!pending.hasRemaining()) {
                key.attach(null);
                key.interestOps(SelectionKey.OP_READ);
              }
            } else if (key.isReadable()) {
              SocketChannel ch = (SocketChannel) key.channel();
              buf.clear();
              int n = ch.read(buf);
              if (n < 0) {
                ch.close();
                continue;
              }
              buf.flip();
              ch.write(buf);
              if (buf.hasRemaining()) {
                ByteBuffer pending = ByteBuffer.allocate(buf.remaining());
                pending.put(buf).flip();
                key.attach(pending);
                key.interestOps(SelectionKey.OP_WRITE);
              }
            }
          } catch (IOException e) {
            key.cancel();
            try {
              key.channel().close();
            } catch (IOException ignored) {
              // already broken
            }
          }
        }
      }
    } catch (IOException | java.nio.channels.ClosedSelectorException e) {
      // closed
    }
  }

  @Override
  public void close() throws IOException {
    running = false;
    selector.wakeup();
    server.close();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SelectionKey k : selector.keys()) {
      k.channel().close();
    }
    selector.close();
  }

  public static void main(String[] args) throws Exception {
    EchoServer s = new EchoServer(args.length > 0 ? Integer.parseInt(args[0]) : 0);
    System.out.println("PORT=" + s.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
