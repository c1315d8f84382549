package dev.hybridrelay.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.forward.internal.Preamble;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Early data through the real relay, against a remote end that reads the preamble byte-exactly as
 * azbridge's listener does (header, length byte, name) and replies only afterwards: the client's
 * first bytes arrive right after the preamble, before the reply, and the connection then works
 * both ways; with {@code earlyData(false)} nothing of the client's arrives before the reply.
 */
class EarlyDataTest {
  private static final String RULE = "early";
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static LocalRelayServer relay;

  @BeforeAll
  static void startRelay() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true).build().start();
  }

  @AfterAll
  static void stopRelay() {
    if (relay != null) {
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  @Test
  @Timeout(60)
  void clientBytesFollowThePreambleBeforeTheReply() throws Exception {
    run("early-on", true);
  }

  @Test
  @Timeout(60)
  void withoutEarlyDataNothingArrivesBeforeTheReply() throws Exception {
    run("early-off", false);
  }

  private void run(String hc, boolean early) throws Exception {
    RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, hc));
    CountDownLatch clientWrote = new CountDownLatch(1);
    // The rendezvous is held until the client's bytes are in the forwarder's socket, so that they
    // are there when the forwarder looks for early data.
    RelayListener listener = RelayListener.builder(cs)
        .acceptHandler(request -> clientWrote.await(30, TimeUnit.SECONDS)).build();
    listener.open();
    LocalForwarder local = LocalForwarder.builder(cs).portName("db")
        .options(ForwardOptions.builder().earlyData(early).build()).build();
    try {
      local.start();
      try (Socket client = clientThatSentHello(local.localPort(), clientWrote)) {

        try (RelayConnection c = listener.accept(Duration.ofSeconds(30))) {
          InputStream in = c.getInputStream();
          OutputStream out = c.getOutputStream();
          assertThat(readN(in, 4)).containsExactly(Preamble.MAJOR, Preamble.MINOR, Preamble.MODE_STREAM, 2);
          assertThat(new String(readN(in, 2), StandardCharsets.UTF_8)).isEqualTo("db");
          if (early) {
            assertThat(new String(readN(in, 5), StandardCharsets.US_ASCII)).isEqualTo("hello");
          } else {
            c.setReadTimeout(Duration.ofSeconds(1));
            assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
            c.setReadTimeout(Duration.ZERO);
          }
          out.write(Preamble.okReply(Preamble.MODE_STREAM));
          out.flush();
          if (!early) {
            assertThat(new String(readN(in, 5), StandardCharsets.US_ASCII)).isEqualTo("hello");
          }
          out.write("world".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          assertThat(new String(readN(client.getInputStream(), 5), StandardCharsets.US_ASCII)).isEqualTo("world");
          client.getOutputStream().write('!');
          assertThat(in.read()).isEqualTo('!');
        }
      }
    } finally {
      local.close();
      listener.close();
    }
  }

  @Test
  @Timeout(60)
  void remoteEndLostBeforeItsReplyIsNotReportedAsAPortNameRefusal() throws Exception {
    AbstractForwardingTest.Recorder events = refusalAfterEarlyData("early-lost", RelayConnection::abort);
    assertThat(events.refused.get(0).message())
        .contains("was lost while waiting for its reply for port name 'db'")
        .doesNotContain("refused port name");
  }

  @Test
  @Timeout(60)
  void remoteEndClosingWithoutReplyAfterEarlyDataIsAPortNameRefusal() throws Exception {
    AbstractForwardingTest.Recorder events = refusalAfterEarlyData("early-refused", c -> c.close());
    assertThat(events.refused.get(0).message()).contains("refused port name 'db'")
        .contains("check that its -T rule uses the same port name");
  }

  /** A client of the local forwarder that has sent "hello" (before the rendezvous, held by {@code wrote}). */
  private static Socket clientThatSentHello(int port, CountDownLatch wrote) throws java.io.IOException {
    Socket client = new Socket("127.0.0.1", port);
    client.setSoTimeout(30_000);
    client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
    client.getOutputStream().flush();
    wrote.countDown();
    return client;
  }

  /** A remote end that reads the preamble and the client's early data, then ends the connection with {@code end}. */
  private AbstractForwardingTest.Recorder refusalAfterEarlyData(String hc, End end) throws Exception {
    RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, hc));
    CountDownLatch clientWrote = new CountDownLatch(1);
    RelayListener listener = RelayListener.builder(cs)
        .acceptHandler(request -> clientWrote.await(30, TimeUnit.SECONDS)).build();
    listener.open();
    AbstractForwardingTest.Recorder events = new AbstractForwardingTest.Recorder();
    LocalForwarder local = LocalForwarder.builder(cs).portName("db").events(events).build();
    try {
      local.start();
      try (Socket client = clientThatSentHello(local.localPort(), clientWrote)) {
        RelayConnection c = listener.accept(Duration.ofSeconds(30));
        InputStream in = c.getInputStream();
        assertThat(readN(in, 4)).containsExactly(Preamble.MAJOR, Preamble.MINOR, Preamble.MODE_STREAM, 2);
        assertThat(new String(readN(in, 2), StandardCharsets.UTF_8)).isEqualTo("db");
        assertThat(new String(readN(in, 5), StandardCharsets.US_ASCII)).isEqualTo("hello");
        end.end(c);
        // the client is refused: a reset or an end of stream, never data
        try {
          assertThat(client.getInputStream().read()).isEqualTo(-1);
        } catch (java.net.SocketException expected) {
          // the forwarder resets refused clients
        }
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> events.refused.size() == 1);
      return events;
    } finally {
      local.close();
      listener.close();
    }
  }

  private interface End {
    void end(RelayConnection c) throws Exception;
  }

  private static byte[] readN(InputStream in, int n) throws Exception {
    byte[] b = new byte[n];
    int off = 0;
    while (off < n) {
      int r = in.read(b, off, n - off);
      if (r < 0) {
        throw new java.io.EOFException("after " + off + " of " + n + " bytes");
      }
      off += r;
    }
    return b;
  }
}
