package dev.hybridrelay.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayHttpSender;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The forwarder's non-blocking path (inline requests to a plain-HTTP target by address, answered
 * from the listener's I/O loop) against a hand-scripted HTTP/1.1 target over real sockets: the
 * framings a target may choose, interim answers, stale keep-alive connections, hand-over of large
 * bodies to a request thread, and many requests at once.
 */
@Timeout(120)
class HttpForwarderNonBlockingTest {
  private static final String RULE = "http-nb";
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static final AtomicInteger HCS = new AtomicInteger();
  private static LocalRelayServer relay;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private HttpForwarder forwarder;
  private RelayHttpSender sender;
  private ScriptedTarget target;

  /** Answers request n (0-based, over all connections) on connection c with script.answer(n, c, path). */
  interface Script {
    /** The bytes to write; null closes the connection without an answer. */
    byte[] answer(int request, int connection, String path) throws IOException;

    /** Whether to close the connection after this answer. */
    default boolean closeAfter(int request) {
      return false;
    }
  }

  /** A plain HTTP/1.1 target: one thread per connection, requests read head + Content-Length body. */
  static final class ScriptedTarget implements AutoCloseable {
    final ServerSocket server;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final List<String> heads = java.util.Collections.synchronizedList(new ArrayList<>());

    ScriptedTarget(Script script) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            int c = connections.getAndIncrement();
            Thread w = new Thread(() -> serve(s, c, script), "scripted-target-" + c);
            w.setDaemon(true);
            w.start();
          } catch (IOException e) {
            return;
          }
        }
      }, "scripted-target-accept");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void serve(Socket s, int c, Script script) {
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        while (true) {
          String head = readHead(in);
          if (head == null) {
            return;
          }
          heads.add(head);
          int length = 0;
          for (String line : head.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
              length = Integer.parseInt(line.substring(15).trim());
            }
          }
          in.readNBytes(length);
          int n = requests.getAndIncrement();
          String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
          byte[] answer = script.answer(n, c, path);
          if (answer == null) {
            return;
          }
          out.write(answer);
          out.flush();
          if (script.closeAfter(n)) {
            return;
          }
        }
      } catch (IOException ignored) {
        // the test asserts on the sender's side
      }
    }

    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int ch = in.read();
        if (ch < 0) {
          return null;
        }
        b.write(ch);
        matched = ch == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : ch == '\r' ? 1 : 0;
      }
      return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true).build().start();
  }

  @AfterAll
  static void stop() {
    if (relay != null) {
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  @AfterEach
  void closeAll() throws IOException {
    if (forwarder != null) {
      forwarder.close();
    }
    if (target != null) {
      target.close();
    }
  }

  private void forward(Script script) throws Exception {
    target = new ScriptedTarget(script);
    String hc = "nb-" + HCS.incrementAndGet();
    RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, hc));
    forwarder = HttpForwarder.builder(cs).target(URI.create("http://127.0.0.1:" + target.port() + "/"))
        .requestTimeout(Duration.ofSeconds(5)).build();
    forwarder.start();
    sender = RelayHttpSender.create(cs);
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return client.send(sender.newRequest(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] chunked(byte[] body, int piece) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < body.length; i += piece) {
      int n = Math.min(piece, body.length - i);
      out.writeBytes(ascii(Integer.toHexString(n) + "\r\n"));
      out.write(body, i, n);
      out.writeBytes(ascii("\r\n"));
    }
    out.writeBytes(ascii("0\r\nX-Trailer: x\r\n\r\n"));
    return out.toByteArray();
  }

  @Test
  void interimAnswerThenABodyThatEndsWithTheConnection() throws Exception {
    forward(new Script() {
      @Override
      public byte[] answer(int request, int connection, String path) {
        return ascii("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nX-Answer: yes\r\n\r\nuntil the end");
      }

      @Override
      public boolean closeAfter(int request) {
        return true;
      }
    });
    HttpResponse<byte[]> r = client.send(sender.newRequest("/upload")
        .POST(HttpRequest.BodyPublishers.ofString("payload")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("X-Answer")).hasValue("yes");
    assertThat(new String(r.body(), StandardCharsets.ISO_8859_1)).isEqualTo("until the end");
    assertThat(target.heads.get(0)).startsWith("POST /upload HTTP/1.1\r\n").contains("Content-Length: 7\r\n");
  }

  @Test
  void keepAliveConnectionIsReusedAcrossRequests() throws Exception {
    forward((request, connection, path) -> ascii("HTTP/1.1 200 OK\r\nContent-Length: " + path.length() + "\r\n\r\n" + path));
    for (int i = 0; i < 50; i++) {
      HttpResponse<byte[]> r = get("/n" + i);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new String(r.body(), StandardCharsets.ISO_8859_1)).isEqualTo("/n" + i);
    }
    assertThat(target.connections.get()).as("one kept-alive connection to the target").isEqualTo(1);
    assertThat(forwarder.stats().totalConnections()).isEqualTo(50);
  }

  @Test
  void aKeptConnectionClosedByTheTargetIsRetriedOnANewOne() throws Exception {
    // connection 0 answers its first request, then takes the second and closes without an answer
    forward((request, connection, path) -> connection == 0 && request == 1 ? null
        : ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    assertThat(get("/first").statusCode()).isEqualTo(200);
    HttpResponse<byte[]> second = get("/second");
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(new String(second.body(), StandardCharsets.ISO_8859_1)).isEqualTo("ok");
    assertThat(target.connections.get()).isEqualTo(2);
    assertThat(target.requests.get()).as("sent twice: once unanswered, once answered").isEqualTo(3);
  }

  @Test
  void smallChunkedAnswerIsDecodedAndConnectionKept() throws Exception {
    byte[] body = random(20_000, 1);
    forward((request, connection, path) -> concat(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
        chunked(body, 1000)));
    for (int i = 0; i < 3; i++) {
      HttpResponse<byte[]> r = get("/c");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo(body);
    }
    assertThat(target.connections.get()).isEqualTo(1);
  }

  @Test
  void largeAnswersOfEveryFramingAreHandedOverAndByteExact() throws Exception {
    byte[] body = random(300_000, 2);
    forward(new Script() {
      @Override
      public byte[] answer(int request, int connection, String path) {
        switch (path) {
          case "/length":
            return concat(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n"), body);
          case "/chunked":
            return concat(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), chunked(body, 7000));
          default:
            return concat(ascii("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"), body);
        }
      }

      @Override
      public boolean closeAfter(int request) {
        return true;
      }
    });
    for (String p : List.of("/length", "/chunked", "/eof")) {
      HttpResponse<byte[]> r = get(p);
      assertThat(r.statusCode()).as(p).isEqualTo(200);
      assertThat(r.body()).as(p).isEqualTo(body);
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> forwarder.stats().activeConnections() == 0);
    assertThat(forwarder.stats().failedConnections()).isZero();
  }

  @Test
  void aTargetThatIsNotHttpGets502() throws Exception {
    forward((request, connection, path) -> ascii("SSH-2.0-OpenSSH_9.6\r\n\r\n"));
    HttpResponse<byte[]> r = get("/");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("X-HybridRelay-Error")).hasValue("failed");
  }

  @Test
  void aTargetThatNeverAnswersGets504() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try {
      forward((request, connection, path) -> {
        try {
          release.await(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return null;
      });
      HttpResponse<byte[]> r = get("/slow");
      assertThat(r.statusCode()).isEqualTo(504);
      assertThat(r.headers().firstValue("X-HybridRelay-Error")).hasValue("timeout");
    } finally {
      release.countDown();
    }
  }

  @Test
  void manyRequestsAtOnceMixSmallAndLarge() throws Exception {
    byte[] large = random(200_000, 3);
    forward((request, connection, path) -> {
      byte[] b = path.startsWith("/large") ? large : ascii(path);
      return concat(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + b.length + "\r\n\r\n"), b);
    });
    List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String p = (i % 5 == 0 ? "/large" : "/small") + i;
      all.add(client.sendAsync(sender.newRequest(p).GET().build(), HttpResponse.BodyHandlers.ofByteArray()));
    }
    for (int i = 0; i < 60; i++) {
      HttpResponse<byte[]> r = all.get(i).get();
      assertThat(r.statusCode()).isEqualTo(200);
      if (i % 5 == 0) {
        assertThat(r.body()).isEqualTo(large);
      } else {
        assertThat(new String(r.body(), StandardCharsets.ISO_8859_1)).isEqualTo("/small" + i);
      }
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> forwarder.stats().activeConnections() == 0);
    assertThat(forwarder.stats().totalConnections()).isEqualTo(60);
    assertThat(forwarder.stats().failedConnections()).isZero();
  }

  @Test
  void aHeadThatNeverEndsGets502AndTheForwarderServesTheNextRequest() throws Exception {
    forward((request, connection, path) -> path.equals("/endless")
        ? concat(ascii("HTTP/1.1 200 OK\r\n"), ascii("X-Filler: " + "a".repeat(70_000) + "\r\n"))
        : ascii("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine"));
    HttpResponse<byte[]> bad = get("/endless");
    assertThat(bad.statusCode()).isEqualTo(502);
    assertThat(new String(bad.body(), StandardCharsets.UTF_8)).doesNotContain("127.0.0.1");
    HttpResponse<byte[]> next = get("/next");
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(new String(next.body(), StandardCharsets.ISO_8859_1)).isEqualTo("fine");
  }

  @Test
  void aBodyCutShortIsNeverPassedAsComplete() throws Exception {
    forward(new Script() {
      @Override
      public byte[] answer(int request, int connection, String path) {
        return path.equals("/short") ? ascii("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this")
            : ascii("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine");
      }

      @Override
      public boolean closeAfter(int request) {
        return true;
      }
    });
    HttpResponse<byte[]> cut = get("/short");
    assertThat(cut.statusCode()).as("no complete-looking 200 for a truncated body").isEqualTo(500);
    assertThat(get("/next").statusCode()).isEqualTo(200);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> forwarder.stats().failedConnections() == 1 && forwarder.stats().activeConnections() == 0);
  }
}
