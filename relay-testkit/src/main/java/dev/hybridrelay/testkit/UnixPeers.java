package dev.hybridrelay.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Real Unix domain socket peers for tests: an echo service on a socket file, and client helpers. */
public final class UnixPeers {
  private UnixPeers() {}

  /**
   * An echo service on a socket file in a separate {@code python3} process: every connection gets
   * its bytes back and a FIN after the client's FIN. Falls back to an in-JVM server (a JDK
   * {@link ServerSocketChannel}) where {@code python3} is not installed.
   */
  public static final class EchoService implements AutoCloseable {
    private static final String SCRIPT = String.join("\n",
        "import socket, sys, threading",
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
        "s.bind(sys.argv[1])",
        "s.listen(64)",
        "print('ready', flush=True)",
        "def serve(c):",
        "    with c:",
        "        while True:",
        "            d = c.recv(65536)",
        "            if not d:",
        "                break",
        "            c.sendall(d)",
        "        c.shutdown(socket.SHUT_WR)",
        "while True:",
        "    c, _ = s.accept()",
        "    threading.Thread(target=serve, args=(c,), daemon=True).start()",
        "");

    /** The socket file. */
    public final Path path;
    /** Whether the service is the {@code python3} process (else the in-JVM fallback). */
    public final boolean python;
    private final Process process;
    private final ServerSocketChannel jdkServer;

    /** Starts the service on {@code path} and returns once it accepts. */
    public EchoService(Path path) throws IOException, InterruptedException {
      this.path = path;
      Process p = null;
      try {
        p = new ProcessBuilder("python3", "-c", SCRIPT, path.toString()).redirectErrorStream(true).start();
      } catch (IOException e) {
        // no python3: use the JDK server below
      }
      if (p != null) {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (!"ready".equals(line)) {
          p.destroyForcibly();
          throw new IOException("the python3 echo service did not start: " + line);
        }
        process = p;
        jdkServer = null;
        python = true;
      } else {
        process = null;
        python = false;
        jdkServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        jdkServer.bind(UnixDomainSocketAddress.of(path));
        Thread t = new Thread(this::acceptLoop, "test-unix-echo");
        t.setDaemon(true);
        t.start();
      }
    }

    private void acceptLoop() {
      while (jdkServer.isOpen()) {
        try {
          SocketChannel c = jdkServer.accept();
          Thread h = new Thread(() -> {
            try (c) {
              ByteBuffer b = ByteBuffer.allocate(65536);
              while (c.read(b) >= 0) {
                b.flip();
                while (b.hasRemaining()) {
                  c.write(b);
                }
                b.clear();
              }
              c.shutdownOutput();
            } catch (IOException ignored) {
              // the test asserts on the client side
            }
          }, "test-unix-echo-conn");
          h.setDaemon(true);
          h.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    @Override
    public void close() throws Exception {
      if (process != null) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
      if (jdkServer != null) {
        jdkServer.close();
      }
      java.nio.file.Files.deleteIfExists(path);
    }
  }

  /** Connects to a socket file. */
  public static SocketChannel connect(Path path) throws IOException {
    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
    c.connect(UnixDomainSocketAddress.of(path));
    return c;
  }

  /**
   * Writes {@code data} on a separate thread, then shuts down output, while reading everything the
   * peer sends until its end of stream; returns what was read.
   */
  public static byte[] exchange(InputStream in, OutputStream out, Runnable shutdownOutput, byte[] data) throws Exception {
    Throwable[] writeFailure = new Throwable[1];
    Thread writer = new Thread(() -> {
      try {
        for (int off = 0; off < data.length; off += 50_000) {
          out.write(data, off, Math.min(50_000, data.length - off));
        }
        out.flush();
        shutdownOutput.run();
      } catch (Throwable t) {
        writeFailure[0] = t;
      }
    }, "test-writer");
    writer.setDaemon(true);
    writer.start();
    byte[] got = in.readAllBytes();
    writer.join(60_000);
    if (writeFailure[0] != null) {
      throw new AssertionError("writing failed", writeFailure[0]);
    }
    return got;
  }

  /**
   * A stream reading a blocking channel. (Not {@code Channels.newInputStream}: on JDK 17 its reads
   * hold a lock that writes from another thread need.)
   */
  public static InputStream in(SocketChannel c) {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return len == 0 ? 0 : c.read(ByteBuffer.wrap(b, off, len));
      }
    };
  }

  /** A stream writing a blocking channel. */
  public static OutputStream out(SocketChannel c) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) {
          c.write(buf);
        }
      }
    };
  }

  /** {@link #exchange} over a Unix socket channel. */
  public static byte[] exchange(SocketChannel c, byte[] data) throws Exception {
    return exchange(in(c), out(c), () -> {
      try {
        c.shutdownOutput();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, data);
  }
}
