package dev.hybridrelay.it.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real HAProxy in TCP mode started from one of the repository's pool configurations
 * ({@code deploy/haproxy/forwarder-pool.cfg}, {@code relay-pool.cfg}): the bind line and the server
 * addresses replaced (a replaced line no longer in the file fails the test, so the files cannot rot),
 * a stats socket added, through which {@link #server} reads each server's status and sessions, and a
 * log line per connection (to HAProxy's standard output, {@code haproxy.log}; {@link #connections})
 * that says which server each client connection went to and how it ended.
 */
public final class HaProxyPool implements AutoCloseable {
  private final Path dir;
  private final Process process;
  private final int port;
  private final String backend;

  private HaProxyPool(Path dir, Process process, int port, String backend) {
    this.dir = dir;
    this.process = process;
    this.port = port;
    this.backend = backend;
  }

  /** One server's line of {@code show stat}. */
  public record ServerStat(String status, long currentSessions, long totalSessions) {
    public boolean up() {
      return status.startsWith("UP");
    }
  }

  /**
   * One client connection as HAProxy logged it when it ended: the client's port, when HAProxy
   * accepted it (epoch milliseconds), the server it went to last ({@code <NOSRV>} if none), the
   * connect time to it ({@code -1}: not connected), the bytes each way, the termination state (two
   * letters: who ended it and in which phase) and the retries (a {@code +} prefix: redispatched).
   */
  public record LoggedConnection(int clientPort, long acceptMillis, String server, long connectMillis,
      long bytesFromClient, long bytesToClient, String termination, String retries) {}

  private static final String LOG_TAG = "hrconn ";

  /**
   * Starts HAProxy from {@code deploy/haproxy/<file>}: {@code bindLine} becomes a bind on
   * 127.0.0.1:{@code port}, and each key of {@code edits} (a line of the file, which must be there)
   * is replaced by its value.
   */
  public static HaProxyPool start(Path dir, String file, String bindLine, int port, String backend,
      Map<String, String> edits) throws Exception {
    Files.createDirectories(dir);
    String cfg = Files.readString(ReverseProxy.deployDir().resolve("haproxy").resolve(file));
    cfg = replace(cfg, bindLine, "bind 127.0.0.1:" + port);
    for (Map.Entry<String, String> e : edits.entrySet()) {
      cfg = replace(cfg, e.getKey(), e.getValue());
    }
    Path sock = dir.resolve("stats.sock");
    cfg = replace(cfg, "global\n", "global\n    stats socket " + sock + " mode 600 level admin\n"
        + "    log stdout format raw local0 info\n");
    cfg = replace(cfg, "defaults\n", "defaults\n    log global\n    log-format \"" + LOG_TAG
        + "%cp %Ts.%ms %s %Tc %U %B %ts %rc\"\n");
    Path conf = dir.resolve("haproxy.cfg");
    Files.writeString(conf, cfg);
    String bin = ReverseProxy.executable("haproxy");
    Process p = new ProcessBuilder(bin, "-db", "-f", conf.toString()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("haproxy.log").toFile())).start();
    HaProxyPool pool = new HaProxyPool(dir, p, port, backend);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!p.isAlive()) {
        throw new IOException("haproxy exited with " + p.exitValue() + ": " + pool.log());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        if (Files.exists(sock)) {
          return pool;
        }
      } catch (IOException e) {
        // not yet
      }
      if (System.nanoTime() > deadline) {
        pool.close();
        throw new IOException("haproxy did not listen within 60 s: " + pool.log());
      }
      Thread.sleep(50);
    }
  }

  private static String replace(String text, String line, String by) {
    if (!text.contains(line)) {
      throw new AssertionError("the deploy file no longer contains '" + line.trim() + "'; update HaProxyPool with it");
    }
    return text.replace(line, by);
  }

  /** Whether {@code haproxy} is installed; null if so, else why not. */
  public static String unavailableReason() {
    return ReverseProxy.executable("haproxy") == null
        ? "haproxy is not installed (Debian package 'haproxy'; .ci/run installs it)" : null;
  }

  public int port() {
    return port;
  }

  /** The servers of the backend, from {@code show stat}. */
  public Map<String, ServerStat> servers() throws IOException {
    String csv = command("show stat");
    Map<String, ServerStat> m = new HashMap<>();
    for (String l : csv.split("\n")) {
      if (l.startsWith("#") || l.isBlank()) {
        continue;
      }
      String[] f = l.split(",", -1);
      if (f.length > 17 && f[0].equals(backend) && !f[1].equals("BACKEND") && !f[1].equals("FRONTEND")) {
        m.put(f[1], new ServerStat(f[17], Long.parseLong(f[4]), Long.parseLong(f[7])));
      }
    }
    return m;
  }

  /** One server's figures. */
  public ServerStat server(String name) throws IOException {
    ServerStat s = servers().get(name);
    if (s == null) {
      throw new IOException("no server " + name + " in backend " + backend);
    }
    return s;
  }

  /** Waits until {@code name} is UP. */
  public void awaitUp(String name, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!server(name).up()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("HAProxy did not mark " + name + " up within " + timeout + ": " + servers());
      }
      Thread.sleep(50);
    }
  }

  private String command(String cmd) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(dir.resolve("stats.sock")));
      ch.write(ByteBuffer.wrap((cmd + "\n").getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer b = ByteBuffer.allocate(1 << 16);
      StringBuilder sb = new StringBuilder();
      while (ch.read(b) >= 0) {
        b.flip();
        sb.append(StandardCharsets.US_ASCII.decode(b));
        b.clear();
      }
      return sb.toString();
    }
  }

  /** The connections HAProxy logged so far (each when it ended), in the order logged. */
  public List<LoggedConnection> connections() {
    List<LoggedConnection> out = new java.util.ArrayList<>();
    for (String line : log().split("\n")) {
      int at = line.indexOf(LOG_TAG);
      if (at < 0) {
        continue;
      }
      String[] f = line.substring(at + LOG_TAG.length()).trim().split(" ");
      if (f.length < 8) {
        continue;
      }
      try {
        String[] ts = f[1].split("\\.");
        out.add(new LoggedConnection(Integer.parseInt(f[0]), Long.parseLong(ts[0]) * 1000 + Long.parseLong(ts[1]),
            f[2], Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]), f[6], f[7]));
      } catch (RuntimeException e) {
        // a line cut by a crash or an unexpected format: not counted
      }
    }
    return out;
  }

  /** HAProxy's own output. */
  public String log() {
    try {
      return Files.readString(dir.resolve("haproxy.log"));
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
