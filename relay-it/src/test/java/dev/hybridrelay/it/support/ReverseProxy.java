package dev.hybridrelay.it.support;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real nginx or HAProxy terminating TLS in front of a plain local relay, started from the
 * configuration files in the repository's {@code deploy/} folder (port, certificate and upstream
 * replaced; a replaced line that is no longer in the file fails the test, so the files cannot rot).
 * The proxy connects to the relay from {@value #PROXY_SOURCE}, so that the relay can tell it from
 * the client (127.0.0.1). The certificate is self-signed for {@code localhost} and 127.0.0.1.
 */
public final class ReverseProxy implements AutoCloseable {
  /** The source address of the proxy's connections to the relay. */
  public static final String PROXY_SOURCE = "127.0.0.3";

  /**
   * Which proxy: nginx or HAProxy with {@code X-Forwarded-For}, or HAProxy sending a PROXY protocol
   * header instead (the relay then needs {@code proxyProtocol(true)}).
   */
  public enum Kind { NGINX, HAPROXY, HAPROXY_PROXY_PROTOCOL }

  private final Path dir;
  private final int port;
  private final Process process;
  private final Path cert;

  private ReverseProxy(Path dir, int port, Process process, Path cert) {
    this.dir = dir;
    this.port = port;
    this.process = process;
    this.cert = cert;
  }

  /** Null if {@code kind} and openssl are installed, else what is missing. */
  public static String unavailableReason(Kind kind) {
    String bin = kind == Kind.NGINX ? "nginx" : "haproxy";
    if (executable(bin) == null) {
      return bin + " is not installed (Debian package '" + bin + "'; .ci/run installs it)";
    }
    if (executable("openssl") == null) {
      return "openssl is not installed";
    }
    return null;
  }

  static String executable(String name) {
    List<String> dirs = new ArrayList<>(List.of("/usr/sbin", "/usr/local/sbin", "/usr/bin"));
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    for (String d : dirs) {
      File f = new File(d, name);
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }

  /** A free port on 127.0.0.1 for the proxy's TLS side (the relay must know it before it starts). */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  /** Starts {@code kind} on 127.0.0.1:{@code port} with TLS, proxying to the relay on {@code relayPort}. */
  public static ReverseProxy start(Kind kind, int port, int relayPort) throws Exception {
    Path dir = Files.createTempDirectory("reverse-proxy-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path key = dir.resolve("relay.key");
    Path cert = dir.resolve("relay.crt");
    run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"));
    Path pem = dir.resolve("relay.pem");
    Files.writeString(pem, Files.readString(cert) + Files.readString(key));
    for (Path p : List.of(key, cert, pem)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    }
    Path deploy = deployDir();
    List<String> cmd;
    if (kind == Kind.NGINX) {
      String site = Files.readString(deploy.resolve("nginx/hybridrelay.conf"));
      site = replace(site, "listen 443 ssl;", "listen 127.0.0.1:" + port + " ssl;");
      site = replace(site, "/etc/ssl/hybridrelay/relay.crt", cert.toString());
      site = replace(site, "/etc/ssl/hybridrelay/relay.key", key.toString());
      site = replace(site, "proxy_pass http://127.0.0.1:9090;",
          "proxy_pass http://127.0.0.1:" + relayPort + ";\n        proxy_bind " + PROXY_SOURCE + ";");
      Files.writeString(dir.resolve("hybridrelay.conf"), site);
      Path tmp = Files.createDirectories(dir.resolve("tmp"));
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
      String main = "daemon off;\nmaster_process off;\nworker_processes 1;\npid " + dir.resolve("nginx.pid") + ";\n"
          + "error_log " + dir.resolve("error.log") + " info;\n"
          + "events { worker_connections 1024; }\n"
          + "http {\n  access_log " + dir.resolve("access.log") + ";\n"
          + "  client_body_temp_path " + tmp.resolve("body") + ";\n  proxy_temp_path " + tmp.resolve("proxy") + ";\n"
          + "  fastcgi_temp_path " + tmp.resolve("fastcgi") + ";\n  uwsgi_temp_path " + tmp.resolve("uwsgi") + ";\n"
          + "  scgi_temp_path " + tmp.resolve("scgi") + ";\n"
          + "  include " + dir.resolve("hybridrelay.conf") + ";\n}\n";
      Files.writeString(dir.resolve("nginx.conf"), main);
      cmd = List.of(executable("nginx"), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString());
    } else {
      String cfg = Files.readString(deploy.resolve("haproxy/hybridrelay.cfg"));
      cfg = replace(cfg, "bind :443 ssl crt /etc/ssl/hybridrelay/relay.pem",
          "bind 127.0.0.1:" + port + " ssl crt " + pem);
      String server = "server relay 127.0.0.1:" + relayPort + " source " + PROXY_SOURCE;
      if (kind == Kind.HAPROXY_PROXY_PROTOCOL) {
        cfg = replace(cfg, "    option forwardfor\n", "");
        server += " send-proxy";
      }
      cfg = replace(cfg, "server relay 127.0.0.1:9090", server);
      Files.writeString(dir.resolve("haproxy.cfg"), cfg);
      cmd = List.of(executable("haproxy"), "-db", "-f", dir.resolve("haproxy.cfg").toString());
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("console.log").toFile()));
    Process process = pb.start();
    ReverseProxy proxy = new ReverseProxy(dir, port, process, cert);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!process.isAlive()) {
        throw new IOException(kind + " exited with " + process.exitValue() + ": " + proxy.output());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return proxy;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          proxy.close();
          throw new IOException(kind + " did not listen within 60 s: " + proxy.output());
        }
        Thread.sleep(100);
      }
    }
  }

  /** The repository's deploy folder (tests run in the module folder). */
  public static Path deployDir() {
    Path p = Path.of("..", "deploy").toAbsolutePath().normalize();
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("no deploy folder at " + p);
    }
    return p;
  }

  private static String replace(String text, String line, String by) {
    if (!text.contains(line)) {
      throw new AssertionError("the deploy file no longer contains '" + line + "'; update ReverseProxy with it");
    }
    return text.replace(line, by);
  }

  private static void run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(cmd.get(0) + " failed: " + out);
    }
  }

  /** A client TLS context trusting exactly the proxy's self-signed certificate. */
  public SSLContext trust() throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("proxy", CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(cert))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** The certificate (PEM), e.g. for a trust store of another client. */
  public Path certificate() {
    return cert;
  }

  /** The TLS port. */
  public int port() {
    return port;
  }

  /** The console output and error log so far. */
  public String output() {
    StringBuilder sb = new StringBuilder();
    for (String f : List.of("console.log", "error.log")) {
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
