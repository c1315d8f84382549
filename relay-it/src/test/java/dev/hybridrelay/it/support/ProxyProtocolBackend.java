package dev.hybridrelay.it.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx ({@code listen … proxy_protocol}) or HAProxy ({@code bind … accept-proxy}) on a free
 * loopback port that expects a PROXY protocol header (v1 or v2, both accept either) on every
 * connection, answers each HTTP request with the client address it read from the header,
 * {@code ip:port}, and writes the same to its access log. A connection without a valid header is
 * dropped by the server.
 */
public final class ProxyProtocolBackend implements AutoCloseable {
  /** Which server. */
  public enum Kind { NGINX, HAPROXY }

  private final Kind kind;
  private final Path dir;
  private final int port;
  private final Process process;

  private ProxyProtocolBackend(Kind kind, Path dir, int port, Process process) {
    this.kind = kind;
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** Null if {@code kind} is installed, else what is missing. */
  public static String unavailableReason(Kind kind) {
    String bin = kind == Kind.NGINX ? "nginx" : "haproxy";
    return ReverseProxy.executable(bin) == null
        ? bin + " is not installed (Debian package '" + bin + "'; .ci/run installs it)" : null;
  }

  /** Starts {@code kind} on 127.0.0.1 and a free port; returns once it accepts connections. */
  public static ProxyProtocolBackend start(Kind kind) throws Exception {
    Path dir = Files.createTempDirectory("proxy-protocol-backend-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    int port = ReverseProxy.freePort();
    List<String> cmd;
    if (kind == Kind.NGINX) {
      Path tmp = Files.createDirectories(dir.resolve("tmp"));
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
      String conf = "daemon off;\nmaster_process off;\nworker_processes 1;\npid " + dir.resolve("nginx.pid") + ";\n"
          + "error_log " + dir.resolve("error.log") + " info;\n"
          + "events { worker_connections 256; }\n"
          + "http {\n"
          + "  log_format pp '$proxy_protocol_addr:$proxy_protocol_port $request';\n"
          + "  access_log " + dir.resolve("access.log") + " pp;\n"
          + "  client_body_temp_path " + tmp.resolve("body") + ";\n  proxy_temp_path " + tmp.resolve("proxy") + ";\n"
          + "  fastcgi_temp_path " + tmp.resolve("fastcgi") + ";\n  uwsgi_temp_path " + tmp.resolve("uwsgi") + ";\n"
          + "  scgi_temp_path " + tmp.resolve("scgi") + ";\n"
          + "  server {\n"
          + "    listen 127.0.0.1:" + port + " proxy_protocol;\n"
          + "    location / {\n"
          + "      default_type text/plain;\n"
          + "      return 200 \"$proxy_protocol_addr:$proxy_protocol_port\\n\";\n"
          + "    }\n"
          + "  }\n"
          + "}\n";
      Files.writeString(dir.resolve("nginx.conf"), conf);
      cmd = List.of(ReverseProxy.executable("nginx"), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString());
    } else {
      String cfg = "global\n"
          + "  log stdout format raw local0\n"
          + "defaults\n"
          + "  mode http\n"
          + "  log global\n"
          + "  timeout connect 5s\n"
          + "  timeout client 30s\n"
          + "  timeout server 30s\n"
          + "frontend pp\n"
          + "  bind 127.0.0.1:" + port + " accept-proxy\n"
          + "  log-format \"%ci:%cp %r\"\n"
          + "  http-request return status 200 content-type text/plain lf-string \"%ci:%cp\\n\"\n";
      Files.writeString(dir.resolve("haproxy.cfg"), cfg);
      cmd = List.of(ReverseProxy.executable("haproxy"), "-db", "-f", dir.resolve("haproxy.cfg").toString());
    }
    Process process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("console.log").toFile())).start();
    ProxyProtocolBackend backend = new ProxyProtocolBackend(kind, dir, port, process);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!process.isAlive()) {
        String out = backend.log();
        backend.close();
        throw new IOException(kind + " exited with " + process.exitValue() + ": " + out);
      }
      // a bare connect is enough to know it listens; the server drops it for want of a header
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return backend;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          backend.close();
          throw new IOException(kind + " did not listen within 60 s");
        }
        Thread.sleep(100);
      }
    }
  }

  /** The port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Which server this is. */
  public Kind kind() {
    return kind;
  }

  /** The access log (HAProxy: its console, where it logs) and the error log, as far as written. */
  public String log() {
    StringBuilder sb = new StringBuilder();
    for (String f : List.of("access.log", "console.log", "error.log")) {
      try {
        Path p = dir.resolve(f);
        if (Files.exists(p)) {
          sb.append(Files.readString(p));
        }
      } catch (IOException e) {
        sb.append("(cannot read ").append(f).append(')');
      }
    }
    return sb.toString();
  }

  @Override
  public void close() throws IOException {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
