package dev.hybridrelay.testkit;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A private, real Squid HTTP proxy for tests: {@code squid -N} as a child process on {@code
 * 127.0.0.1} and a free port, with its own configuration, password file, pid file and logs in a
 * temporary folder. It requires Basic authentication (the {@code basic_ncsa_auth} helper with an
 * {@code openssl passwd -apr1} file) and allows nothing but {@code CONNECT} to the ports given to
 * {@link Builder#allowPort}; anything else is refused with 403, a missing or wrong password with
 * 407. {@link #kill()} and {@link #restart()} simulate a proxy outage on the same port.
 *
 * <p>{@link #unavailableReason()} says why Squid cannot run here (binary or helper missing); tests
 * skip on it outside CI and fail in CI.
 */
public final class SquidProxy implements AutoCloseable {
  private static final String[] SQUID = {"/usr/sbin/squid", "/usr/local/sbin/squid"};
  private static final String[] HELPER = {"/usr/lib/squid/basic_ncsa_auth", "/usr/lib64/squid/basic_ncsa_auth",
      "/usr/libexec/squid/basic_ncsa_auth"};

  private final Path dir;
  private final int port;
  private final Path conf;
  private Process process;

  private SquidProxy(Path dir, int port, Path conf) {
    this.dir = dir;
    this.port = port;
    this.conf = conf;
  }

  /** Null if Squid and its Basic helper are installed, else what is missing. */
  public static String unavailableReason() {
    if (find(SQUID) == null) {
      return "squid is not installed (Debian package 'squid'; .ci/run installs it)";
    }
    if (find(HELPER) == null) {
      return "squid's basic_ncsa_auth helper is not installed";
    }
    if (!new File("/usr/bin/openssl").canExecute() && which("openssl") == null) {
      return "openssl is not installed (needed for the proxy password file)";
    }
    return null;
  }

  private static String find(String... paths) {
    for (String p : paths) {
      if (new File(p).canExecute()) {
        return p;
      }
    }
    return which(new File(paths[0]).getName());
  }

  private static String which(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String d : path.split(File.pathSeparator)) {
      File f = new File(d, name);
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures a {@link SquidProxy}. */
  public static final class Builder {
    private final Map<String, String> users = new LinkedHashMap<>();
    private final List<Integer> ports = new ArrayList<>();
    private boolean auth = true;

    private Builder() {
    }

    /** A Basic user; at least one unless {@link #noAuthentication()}. */
    public Builder user(String name, String password) {
      users.put(name, password);
      return this;
    }

    /** CONNECT is allowed only to these ports (at least one). */
    public Builder allowPort(int... allowed) {
      for (int p : allowed) {
        ports.add(p);
      }
      return this;
    }

    /** No Basic authentication: every CONNECT to an allowed port passes. */
    public Builder noAuthentication() {
      auth = false;
      return this;
    }

    /** Writes the configuration and starts Squid; returns once it accepts connections. */
    public SquidProxy start() throws IOException, InterruptedException {
      String missing = unavailableReason();
      if (missing != null) {
        throw new IllegalStateException(missing);
      }
      if (ports.isEmpty()) {
        throw new IllegalStateException("allowPort(...) is required");
      }
      Path dir = Files.createTempDirectory("squid-test-");
      Path logs = Files.createDirectories(dir.resolve("logs"));
      // Squid started as root runs as its own user: it must read the folder and write the logs.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("rwxrwxrwx"));
      Path passwd = dir.resolve("passwd");
      StringBuilder pw = new StringBuilder();
      for (Map.Entry<String, String> u : users.entrySet()) {
        pw.append(u.getKey()).append(':').append(apr1(u.getValue())).append('\n');
      }
      Files.writeString(passwd, pw.toString());
      Files.setPosixFilePermissions(passwd, PosixFilePermissions.fromString("rw-r--r--"));
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
        port = s.getLocalPort();
      }
      String portList = ports.stream().map(String::valueOf).collect(Collectors.joining(" "));
      StringBuilder c = new StringBuilder();
      c.append("http_port 127.0.0.1:").append(port).append('\n')
          .append("pid_filename ").append(logs.resolve("squid.pid")).append('\n')
          .append("cache_log ").append(logs.resolve("cache.log")).append('\n')
          .append("access_log stdio:").append(logs.resolve("access.log")).append('\n')
          .append("logfile_rotate 0\n")
          .append("cache deny all\ncache_mem 8 MB\nnetdb_filename none\nshutdown_lifetime 0 seconds\n")
          .append("coredump_dir ").append(logs).append('\n')
          .append("acl CONNECT method CONNECT\n")
          .append("acl relay_ports port ").append(portList).append('\n');
      if (auth) {
        c.append("auth_param basic program ").append(find(HELPER)).append(' ').append(passwd).append('\n')
            .append("auth_param basic realm hybridrelay-test\n")
            .append("acl authed proxy_auth REQUIRED\n");
      }
      c.append("http_access deny !CONNECT\n")
          .append("http_access deny !relay_ports\n");
      if (auth) {
        c.append("http_access deny !authed\n");
      }
      c.append("http_access allow all\n");
      Path conf = dir.resolve("squid.conf");
      Files.writeString(conf, c.toString());
      Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r--r--"));
      SquidProxy squid = new SquidProxy(dir, port, conf);
      squid.launch();
      return squid;
    }
  }

  /** An Apache MD5 ({@code $apr1$}) hash, which basic_ncsa_auth accepts. */
  static String apr1(String password) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("openssl", "passwd", "-apr1", "-stdin").redirectErrorStream(true).start();
    p.getOutputStream().write((password + "\n").getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.startsWith("$apr1$")) {
      throw new IOException("openssl passwd -apr1 failed: " + out);
    }
    return out;
  }

  private void launch() throws IOException, InterruptedException {
    Files.deleteIfExists(dir.resolve("logs").resolve("squid.pid"));
    ProcessBuilder pb = new ProcessBuilder(find(SQUID), "-N", "-d", "1", "-f", conf.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("squid.out").toFile()));
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!process.isAlive()) {
        throw new IOException("squid exited with " + process.exitValue() + ": " + output());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          process.destroyForcibly();
          throw new IOException("squid did not listen on 127.0.0.1:" + port + " within 60 s: " + output());
        }
        Thread.sleep(100);
      }
    }
  }

  /** Squid's console output and cache log so far (for failure messages). */
  public String output() {
    StringBuilder sb = new StringBuilder();
    for (Path p : List.of(dir.resolve("squid.out"), dir.resolve("logs").resolve("cache.log"))) {
      try {
        if (Files.exists(p)) {
          sb.append(Files.readString(p));
        }
      } catch (IOException e) {
        sb.append("(cannot read ").append(p.getFileName()).append(')');
      }
    }
    return sb.toString();
  }

  /** The lines of Squid's access log (one per finished request or tunnel). */
  public List<String> accessLog() throws IOException {
    Path p = dir.resolve("logs").resolve("access.log");
    return Files.exists(p) ? Files.readAllLines(p, StandardCharsets.ISO_8859_1) : List.of();
  }

  /** The proxy's port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:port}. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** {@code http://user:password@127.0.0.1:port} (or without credentials if {@code user} is null). */
  public String url(String user, String password) {
    return "http://" + (user == null ? "" : user + ":" + password + "@") + address();
  }

  /** True while the Squid process runs. */
  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Kills Squid ({@code SIGKILL}): every tunnel breaks, new connections are refused. */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Starts Squid again on the same port after {@link #kill()}. */
  public void restart() throws IOException, InterruptedException {
    kill();
    launch();
  }

  /**
   * Replaces the password file with {@code users} (name to password) and restarts Squid on the same
   * port, so that cached credentials are forgotten.
   */
  public void users(Map<String, String> users) throws IOException, InterruptedException {
    StringBuilder pw = new StringBuilder();
    for (Map.Entry<String, String> u : users.entrySet()) {
      pw.append(u.getKey()).append(':').append(apr1(u.getValue())).append('\n');
    }
    Files.writeString(dir.resolve("passwd"), pw.toString());
    restart();
  }

  /** Stops Squid and deletes its folder. */
  @Override
  public void close() throws IOException {
    try {
      kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
