package dev.hybridrelay.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code java.net.Socket}/{@code ServerSocket} contract, written once and run against several
 * implementations: the JDK's own sockets on loopback (which define the expected behaviour) and the
 * relay sockets. A subclass may skip an assertion only by returning a reason from
 * {@link #deviation(Behaviour)}; every such reason is documented on the site's Sockets page.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class SocketContractTest {
  private static final Logger LOG = LoggerFactory.getLogger(SocketContractTest.class);

  /** Behaviours an implementation may declare it cannot match, with a reason. */
  enum Behaviour {
    URGENT_DATA,
    CLIENT_REMOTE_ADDRESS_IS_SERVER_ADDRESS
  }

  protected ServerSocket server;
  protected final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "contract-test");
    t.setDaemon(true);
    return t;
  });
  private final List<Socket> toClose = new ArrayList<>();

  /** A bound, listening server socket. */
  protected abstract ServerSocket newServerSocket() throws IOException;

  /** A socket connected to {@code server}. */
  protected abstract Socket connectTo(ServerSocket server) throws IOException;

  /** A fresh unconnected socket that can connect to {@link #addressOf}. */
  protected abstract Socket newUnconnectedSocket() throws IOException;

  /** What an unconnected socket connects to, to reach {@code server}. */
  protected abstract SocketAddress addressOf(ServerSocket server);

  /** An address nothing listens on. */
  protected abstract SocketAddress addressWithoutListener() throws IOException;

  /** {@code null} if the implementation matches the JDK, else why it cannot. */
  protected String deviation(Behaviour behaviour) {
    return null;
  }

  @BeforeEach
  void openServer() throws IOException {
    server = newServerSocket();
  }

  @AfterEach
  void closeAll() throws IOException {
    for (Socket s : toClose) {
      s.close();
    }
    if (server != null) {
      server.close();
    }
    pool.shutdownNow();
  }

  /** Client and accepted server end of one connection. */
  protected static final class Pair {
    final Socket client;
    final Socket accepted;

    Pair(Socket client, Socket accepted) {
      this.client = client;
      this.accepted = accepted;
    }
  }

  protected Pair connect() throws Exception {
    Future<Socket> acceptedFuture = pool.submit(() -> server.accept());
    Socket client = track(connectTo(server));
    Socket accepted = track(acceptedFuture.get(30, TimeUnit.SECONDS));
    return new Pair(client, accepted);
  }

  protected Socket track(Socket s) {
    toClose.add(s);
    return s;
  }

  private static void writeText(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static String readFully(Socket s) throws IOException {
    return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  private static String readExactly(Socket s, int n) throws IOException {
    return new String(s.getInputStream().readNBytes(n), StandardCharsets.UTF_8);
  }

  /** Waits until {@code f} is blocked, so that the test can act while it waits. */
  private static void awaitBlocked(Future<?> f) throws InterruptedException {
    Thread.sleep(300);
    assertThat(f.isDone()).as("operation should still be blocked").isFalse();
  }

  private static Throwable failureOf(Future<?> f) throws Exception {
    try {
      f.get(20, TimeUnit.SECONDS);
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    }
  }

  // ---- end of stream and half-close ----------------------------------------------------------------

  @Test
  void readReturnsMinusOneAfterPeerShutdownOutputAndPeerCanStillRead() throws Exception {
    Pair p = connect();
    writeText(p.client, "hello");
    p.client.shutdownOutput();
    assertThat(readFully(p.accepted)).isEqualTo("hello");
    assertEquals(-1, p.accepted.getInputStream().read(), "EOF is sticky");
    writeText(p.accepted, "world");
    p.accepted.shutdownOutput();
    assertThat(readFully(p.client)).isEqualTo("world");
  }

  @Test
  void serverShutdownOutputReachesClientAsEofWhileClientKeepsWriting() throws Exception {
    Pair p = connect();
    writeText(p.accepted, "bye");
    p.accepted.shutdownOutput();
    assertThat(readFully(p.client)).isEqualTo("bye");
    writeText(p.client, "still here");
    assertThat(readExactly(p.accepted, 10)).isEqualTo("still here");
  }

  @Test
  void readReturnsMinusOneAfterPeerClose() throws Exception {
    Pair p = connect();
    writeText(p.client, "last words");
    p.client.close();
    assertThat(readFully(p.accepted)).isEqualTo("last words");
    assertEquals(-1, p.accepted.getInputStream().read(new byte[10]));
  }

  @Test
  void peerAbortIsAnErrorNotACleanEndOfStream() throws Exception {
    Pair p = connect();
    p.client.setSoLinger(true, 0);
    p.client.close();
    assertThrows(SocketException.class, () -> {
      InputStream in = p.accepted.getInputStream();
      for (int i = 0; i < 1000; i++) {
        if (in.read() < 0) {
          return; // a clean end: fails the assertion
        }
      }
    });
  }

  // ---- timeouts ------------------------------------------------------------------------------------

  @Test
  void readTimeoutThrowsSocketTimeoutExceptionAndSocketStaysUsable() throws Exception {
    Pair p = connect();
    p.accepted.setSoTimeout(300);
    assertEquals(300, p.accepted.getSoTimeout());
    long start = System.nanoTime();
    assertThrows(SocketTimeoutException.class, () -> p.accepted.getInputStream().read());
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(200);
    assertThat(p.accepted.isClosed()).isFalse();
    writeText(p.client, "late");
    assertThat(readExactly(p.accepted, 4)).isEqualTo("late");
    p.accepted.setSoTimeout(0);
    writeText(p.accepted, "ok");
    assertThat(readExactly(p.client, 2)).isEqualTo("ok");
  }

  @Test
  void soTimeoutSetBeforeConnectApplies() throws Exception {
    Socket s = track(newUnconnectedSocket());
    s.setSoTimeout(250);
    s.setTcpNoDelay(true);
    Future<Socket> accepted = pool.submit(() -> server.accept());
    s.connect(addressOf(server), 10_000);
    track(accepted.get(30, TimeUnit.SECONDS));
    assertEquals(250, s.getSoTimeout());
    assertThat(s.getTcpNoDelay()).isTrue();
    assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
  }

  @Test
  void acceptTimeoutThrowsSocketTimeoutExceptionAndServerStaysUsable() throws Exception {
    server.setSoTimeout(300);
    assertEquals(300, server.getSoTimeout());
    assertThrows(SocketTimeoutException.class, () -> server.accept());
    assertThat(server.isClosed()).isFalse();
    server.setSoTimeout(0);
    Pair p = connect();
    writeText(p.client, "x");
    assertThat(readExactly(p.accepted, 1)).isEqualTo("x");
  }

  // ---- asynchronous close --------------------------------------------------------------------------

  @Test
  void closeFromAnotherThreadUnblocksRead() throws Exception {
    Pair p = connect();
    Future<Integer> read = pool.submit(() -> p.accepted.getInputStream().read());
    awaitBlocked(read);
    p.accepted.close();
    assertThat(failureOf(read)).isInstanceOf(SocketException.class);
  }

  @Test
  void closeFromAnotherThreadUnblocksAccept() throws Exception {
    Future<Socket> accept = pool.submit(() -> server.accept());
    awaitBlocked(accept);
    server.close();
    assertThat(failureOf(accept)).isInstanceOf(SocketException.class);
  }

  @Test
  void closeFromAnotherThreadUnblocksWriteBlockedByBackpressure() throws Exception {
    Pair p = connect();
    AtomicLong written = new AtomicLong();
    Future<?> writer = pool.submit(() -> {
      byte[] chunk = new byte[64 * 1024];
      OutputStream out = p.client.getOutputStream();
      while (written.get() < (512L << 20)) {
        out.write(chunk);
        written.addAndGet(chunk.length);
      }
      return null;
    });
    long last = -1;
    while (written.get() != last) { // the peer never reads: wait until the writer stalls
      last = written.get();
      Thread.sleep(700);
      assertThat(writer.isDone()).as("writer finished or failed early: %s", writer).isFalse();
    }
    LOG.info("{}: writer blocked after {} bytes", getClass().getSimpleName(), last);
    p.client.close();
    assertThat(failureOf(writer)).isInstanceOf(SocketException.class);
  }

  // ---- shutdown and state flags --------------------------------------------------------------------

  @Test
  void shutdownOutputSetsFlagAndFurtherWritesFail() throws Exception {
    Pair p = connect();
    OutputStream out = p.client.getOutputStream();
    assertThat(p.client.isOutputShutdown()).isFalse();
    p.client.shutdownOutput();
    assertThat(p.client.isOutputShutdown()).isTrue();
    assertThat(p.client.isInputShutdown()).isFalse();
    assertThrows(SocketException.class, () -> out.write(1));
    assertThrows(SocketException.class, () -> p.client.shutdownOutput());
    assertThrows(SocketException.class, () -> p.client.getOutputStream());
    assertThat(p.client.isClosed()).isFalse();
  }

  @Test
  void shutdownInputSetsFlagAndReadsReturnMinusOne() throws Exception {
    Pair p = connect();
    InputStream in = p.accepted.getInputStream();
    p.accepted.shutdownInput();
    assertThat(p.accepted.isInputShutdown()).isTrue();
    assertThat(p.accepted.isOutputShutdown()).isFalse();
    assertEquals(-1, in.read());
    assertEquals(-1, in.read(new byte[8], 0, 8));
    assertThrows(SocketException.class, () -> p.accepted.shutdownInput());
    assertThrows(SocketException.class, () -> p.accepted.getInputStream());
    writeText(p.accepted, "out still works");
    assertThat(readExactly(p.client, 15)).isEqualTo("out still works");
  }

  @Test
  void connectedBoundAndClosedFlagsFollowTheJdk() throws Exception {
    Socket s = track(newUnconnectedSocket());
    assertThat(s.isConnected()).isFalse();
    assertThat(s.isBound()).isFalse();
    assertThat(s.isClosed()).isFalse();
    assertThrows(SocketException.class, () -> s.getInputStream());
    assertThrows(SocketException.class, () -> s.shutdownOutput());
    Future<Socket> accepted = pool.submit(() -> server.accept());
    s.connect(addressOf(server), 10_000);
    track(accepted.get(30, TimeUnit.SECONDS));
    assertThat(s.isConnected()).isTrue();
    assertThat(s.isBound()).isTrue();
    assertThat(s.isInputShutdown()).isFalse();
    assertThat(s.isOutputShutdown()).isFalse();
    assertThatThrownBy(() -> s.connect(addressOf(server), 1000)).isInstanceOf(SocketException.class);
    s.close();
    assertThat(s.isClosed()).isTrue();
    assertThat(s.isConnected()).as("closing does not clear the connected state").isTrue();
    assertThat(s.isBound()).isTrue();
    s.close(); // idempotent
    assertThatThrownBy(() -> s.connect(addressOf(server), 1000)).isInstanceOf(SocketException.class)
        .hasMessage("Socket is closed");
  }

  @Test
  void streamsAfterCloseThrowSocketIsClosed() throws Exception {
    Pair p = connect();
    InputStream in = p.client.getInputStream();
    OutputStream out = p.client.getOutputStream();
    p.client.close();
    assertThatThrownBy(() -> p.client.getInputStream()).isInstanceOf(SocketException.class)
        .hasMessage("Socket is closed");
    assertThatThrownBy(() -> p.client.getOutputStream()).isInstanceOf(SocketException.class)
        .hasMessage("Socket is closed");
    assertThrows(SocketException.class, () -> in.read());
    assertThrows(SocketException.class, () -> out.write(1));
    assertThrows(SocketException.class, () -> p.client.setSoTimeout(1));
  }

  @Test
  void closingEitherStreamClosesTheSocket() throws Exception {
    Pair p = connect();
    p.client.getInputStream().close();
    assertThat(p.client.isClosed()).isTrue();
    p.accepted.getOutputStream().close();
    assertThat(p.accepted.isClosed()).isTrue();
  }

  // ---- options -------------------------------------------------------------------------------------

  @Test
  void optionsAreAcceptedOnUnconnectedSocket() throws Exception {
    exerciseOptions(track(newUnconnectedSocket()));
  }

  @Test
  void optionsAreAcceptedOnConnectedSockets() throws Exception {
    Pair p = connect();
    exerciseOptions(p.client);
    exerciseOptions(p.accepted);
    writeText(p.client, "ok");
    assertThat(readExactly(p.accepted, 2)).isEqualTo("ok");
  }

  private static void exerciseOptions(Socket s) throws IOException {
    s.setTcpNoDelay(true);
    assertThat(s.getTcpNoDelay()).isTrue();
    s.setTcpNoDelay(false);
    assertThat(s.getTcpNoDelay()).isFalse();
    s.setKeepAlive(true);
    assertThat(s.getKeepAlive()).isTrue();
    s.setSoLinger(true, 5);
    assertEquals(5, s.getSoLinger());
    s.setSoLinger(false, 0);
    assertEquals(-1, s.getSoLinger());
    s.setSendBufferSize(32 * 1024);
    assertThat(s.getSendBufferSize()).isPositive();
    s.setReceiveBufferSize(32 * 1024);
    assertThat(s.getReceiveBufferSize()).isPositive();
    s.setReuseAddress(true);
    assertThat(s.getReuseAddress()).isTrue();
    s.setOOBInline(true);
    assertThat(s.getOOBInline()).isTrue();
    s.setTrafficClass(0x10);
    assertThat(s.getTrafficClass()).isBetween(0, 255);
    s.setPerformancePreferences(1, 2, 3);
    s.setSoTimeout(1234);
    assertEquals(1234, s.getSoTimeout());
    s.setSoTimeout(0);
    s.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
    assertThat(s.getOption(java.net.StandardSocketOptions.TCP_NODELAY)).isTrue();
    assertThat(s.supportedOptions()).contains(java.net.StandardSocketOptions.SO_KEEPALIVE,
        java.net.StandardSocketOptions.TCP_NODELAY, java.net.StandardSocketOptions.SO_LINGER);
    assertThrows(IllegalArgumentException.class, () -> s.setSoTimeout(-1));
  }

  @Test
  void sendUrgentDataIsSent() throws Exception {
    String reason = deviation(Behaviour.URGENT_DATA);
    Pair p = connect();
    if (reason != null) {
      assertThrows(SocketException.class, () -> p.client.sendUrgentData(1));
      Assumptions.abort(reason);
    }
    p.client.sendUrgentData(1);
  }

  // ---- addresses -----------------------------------------------------------------------------------

  @Test
  void acceptedSocketReportsThePeersAddress() throws Exception {
    Pair p = connect();
    assertThat(p.accepted.getInetAddress()).isNotNull();
    assertThat(p.accepted.getInetAddress().getHostAddress()).isEqualTo(p.client.getLocalAddress().getHostAddress());
    assertEquals(p.client.getLocalPort(), p.accepted.getPort());
    assertThat(p.accepted.getRemoteSocketAddress()).isNotNull();
    assertThat(p.accepted.getLocalPort()).isPositive();
    assertThat(p.client.getPort()).isPositive();
    assertThat(p.client.toString()).isNotEmpty();
    String reason = deviation(Behaviour.CLIENT_REMOTE_ADDRESS_IS_SERVER_ADDRESS);
    if (reason != null) {
      Assumptions.abort(reason);
    }
    assertEquals(p.accepted.getLocalPort(), p.client.getPort());
  }

  // ---- server socket -------------------------------------------------------------------------------

  @Test
  void serverSocketStateAndAddress() throws Exception {
    assertThat(server.isBound()).isTrue();
    assertThat(server.isClosed()).isFalse();
    assertThat(server.getLocalSocketAddress()).isNotNull();
    assertThat(server.toString()).isNotEmpty();
    assertThatThrownBy(() -> server.bind(server.getLocalSocketAddress())).isInstanceOf(SocketException.class)
        .hasMessage("Already bound");
    server.setReuseAddress(true);
    assertThat(server.getReuseAddress()).isTrue();
    server.setReceiveBufferSize(65536);
    assertThat(server.getReceiveBufferSize()).isPositive();
    server.close();
    assertThat(server.isClosed()).isTrue();
    server.close();
    assertThatThrownBy(() -> server.accept()).isInstanceOf(SocketException.class).hasMessage("Socket is closed");
  }

  @Test
  void acceptedConnectionsOutliveTheServerSocket() throws Exception {
    Pair p = connect();
    server.close();
    writeText(p.client, "after");
    assertThat(readExactly(p.accepted, 5)).isEqualTo("after");
  }

  @Test
  void connectWithoutListenerThrowsConnectException() throws Exception {
    Socket s = track(newUnconnectedSocket());
    assertThrows(ConnectException.class, () -> s.connect(addressWithoutListener(), 10_000));
    assertThat(s.isConnected()).isFalse();
  }

  // ---- data integrity ------------------------------------------------------------------------------

  @Test
  void largeTransferBothWaysArrivesIntact() throws Exception {
    Pair p = connect();
    long seed = System.nanoTime();
    LOG.info("{}: large transfer seed {}", getClass().getSimpleName(), seed);
    int size = 8 << 20;
    Future<String> echo = pool.submit(() -> { // server echoes everything and hashes it
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      InputStream in = p.accepted.getInputStream();
      OutputStream out = p.accepted.getOutputStream();
      byte[] buf = new byte[new Random(seed).nextInt(60_000) + 1];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
        out.write(buf, 0, n);
      }
      p.accepted.shutdownOutput();
      return HexFormat.of().formatHex(md.digest());
    });
    Future<String> sent = pool.submit(() -> {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      Random r = new Random(seed);
      OutputStream out = p.client.getOutputStream();
      int left = size;
      while (left > 0) {
        byte[] chunk = new byte[Math.min(left, 1 + (int) Math.exp(r.nextDouble() * Math.log(1 << 20)))];
        r.nextBytes(chunk);
        md.update(chunk);
        out.write(chunk);
        left -= chunk.length;
      }
      p.client.shutdownOutput();
      return HexFormat.of().formatHex(md.digest());
    });
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    InputStream in = p.client.getInputStream();
    byte[] buf = new byte[8191];
    long total = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      md.update(buf, 0, n);
      total += n;
    }
    assertEquals(size, total);
    String expected = sent.get(30, TimeUnit.SECONDS);
    assertEquals(expected, echo.get(30, TimeUnit.SECONDS), "bytes the server received");
    assertEquals(expected, HexFormat.of().formatHex(md.digest()), "bytes echoed back");
  }

  @Test
  void concurrentConnectionsStayIndependent() throws Exception {
    int count = 16;
    Future<?> acceptor = pool.submit(() -> {
      for (int i = 0; i < count; i++) {
        Socket s = server.accept();
        pool.submit(() -> {
          try (s) {
            s.getOutputStream().write(s.getInputStream().readAllBytes());
          }
          return null;
        });
      }
      return null;
    });
    List<Future<byte[]>> results = new ArrayList<>();
    List<byte[]> payloads = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] payload = new byte[100_000 + i];
      new Random(i).nextBytes(payload);
      payloads.add(payload);
      results.add(pool.submit(() -> {
        try (Socket c = connectTo(server)) {
          c.getOutputStream().write(payload);
          c.shutdownOutput();
          return c.getInputStream().readAllBytes();
        }
      }));
    }
    for (int i = 0; i < count; i++) {
      assertThat(results.get(i).get(45, TimeUnit.SECONDS)).as("connection %d", i).isEqualTo(payloads.get(i));
    }
    acceptor.get(10, TimeUnit.SECONDS);
  }
}
