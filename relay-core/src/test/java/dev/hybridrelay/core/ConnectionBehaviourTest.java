package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.server.LocalRelayExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stream semantics of {@link RelayConnection} over real sockets through the local relay. */
@SuppressWarnings("try") // resources closed explicitly on purpose, or only for cleanup
@Timeout(60)
class ConnectionBehaviourTest {
  private static final Logger log = LoggerFactory.getLogger(ConnectionBehaviourTest.class);

  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.create();

  private RelayListener listener;
  private RelaySender sender;

  @BeforeEach
  void setUp() throws Exception {
    String cs = relay.connectionString("behaviour");
    listener = RelayListener.builder(cs).receiveWindow(256 * 1024).sendWindow(256 * 1024).build();
    listener.open();
    sender = RelaySender.builder(cs).receiveWindow(256 * 1024).sendWindow(256 * 1024).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    listener.close();
  }

  private RelayConnection[] pair() throws Exception {
    RelayConnection s = sender.connect(Duration.ofSeconds(10));
    RelayConnection l = listener.accept(Duration.ofSeconds(10));
    return new RelayConnection[] {s, l};
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void halfCloseSenderFirstThenListenerKeepsSending() throws Exception {
    RelayConnection[] p = pair();
    try (RelayConnection s = p[0]; RelayConnection l = p[1]) {
      s.getOutputStream().write(utf8("request"));
      s.shutdownOutput();
      assertThat(s.isOutputShutdown()).isTrue();
      assertThat(l.getInputStream().readAllBytes()).isEqualTo(utf8("request"));
      // the listener's output still works after it read end-of-stream
      for (int i = 0; i < 100; i++) {
        l.getOutputStream().write(TestSupport.bytes(10_000));
      }
      l.shutdownOutput();
      assertThat(s.getInputStream().readAllBytes()).hasSize(1_000_000);
      assertThat(s.closeStatus()).hasValueSatisfying(st -> assertThat(st.clean()).isTrue());
    }
  }

  @Test
  void halfCloseListenerFirstThenSenderKeepsSending() throws Exception {
    RelayConnection[] p = pair();
    try (RelayConnection s = p[0]; RelayConnection l = p[1]) {
      l.getOutputStream().write(utf8("banner"));
      l.shutdownOutput();
      assertThat(s.getInputStream().readAllBytes()).isEqualTo(utf8("banner"));
      assertThat(s.getInputStream().read()).isEqualTo(-1);
      for (int i = 0; i < 100; i++) {
        s.getOutputStream().write(TestSupport.bytes(10_000));
      }
      s.shutdownOutput();
      assertThat(l.getInputStream().readAllBytes()).hasSize(1_000_000);
    }
  }

  @Test
  void readTimeoutThrowsAndTheConnectionStaysUsable() throws Exception {
    RelayConnection[] p = pair();
    try (RelayConnection s = p[0]; RelayConnection l = p[1]) {
      l.setReadTimeout(Duration.ofMillis(200));
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> l.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(150L, 5_000L);
      s.getOutputStream().write(utf8("late"));
      byte[] buf = new byte[4];
      assertThat(l.getInputStream().readNBytes(buf, 0, 4)).isEqualTo(4);
      assertThat(buf).isEqualTo(utf8("late"));
      assertThat(l.isClosed()).isFalse();
    }
  }

  @Test
  void closeFromAnotherThreadUnblocksARead() throws Exception {
    RelayConnection[] p = pair();
    try (RelayConnection s = p[0]; RelayConnection l = p[1]) {
      CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
        try {
          return l.getInputStream().read();
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      Thread.sleep(200);
      assertThat(read).isNotDone();
      l.close();
      assertThatThrownBy(() -> read.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasRootCauseInstanceOf(SocketException.class);
      assertThat(l.isClosed()).isTrue();
    }
  }

  @Test
  void closeFromAnotherThreadUnblocksAWriteStalledByBackpressure() throws Exception {
    RelayConnection[] p = pair();
    try (RelayConnection s = p[0]; RelayConnection l = p[1]) {
      AtomicLong written = new AtomicLong();
      CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
        byte[] chunk = new byte[64 * 1024];
        try {
          while (true) {
            s.getOutputStream().write(chunk);
            written.addAndGet(chunk.length);
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      awaitStalled(written);
      assertThat(write).isNotDone();
      s.close();
      assertThatThrownBy(() -> write.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasRootCauseInstanceOf(SocketException.class);
    }
  }

  @Test
  void stalledReaderBoundsMemoryAndAllBytesArriveAfterward() throws Exception {
    RelayConnection[] p = pair();
    try (RelayConnection s = p[0]; RelayConnection l = p[1]) {
      long heapBefore = TestSupport.usedHeapAfterGc();
      AtomicLong written = new AtomicLong();
      long total = 200L << 20;
      CompletableFuture<TestSupport.Digest> write = CompletableFuture.supplyAsync(() -> {
        try {
          OutputStream out = new java.io.FilterOutputStream(s.getOutputStream()) {
            @Override
            public void write(byte[] b, int off, int len) throws java.io.IOException {
              out.write(b, off, len);
              written.addAndGet(len);
            }
          };
          TestSupport.Digest d = TestSupport.writeRandom(out, total, 7);
          s.shutdownOutput();
          return d;
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      long stalledAt = awaitStalled(written);
      long heapStalled = TestSupport.usedHeapAfterGc();
      log.info("writer stalled after {} KiB in flight; heap growth {} KiB", stalledAt / 1024,
          (heapStalled - heapBefore) / 1024);
      assertThat(stalledAt).isLessThan(64L << 20);
      assertThat(heapStalled - heapBefore).isLessThan(64L << 20);
      assertThat(write).isNotDone();
      // now read everything; the writer resumes and every byte arrives intact
      TestSupport.Digest read = TestSupport.readAll(l.getInputStream(), 1);
      assertThat(read).isEqualTo(write.get(60, TimeUnit.SECONDS));
    }
  }

  /** Waits until {@code written} stops growing for a while; returns its value. */
  private static long awaitStalled(AtomicLong written) throws InterruptedException {
    long last = -1;
    int stable = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Thread.sleep(100);
      long now = written.get();
      if (now == last && now > 0) {
        if (++stable >= 5) {
          return now;
        }
      } else {
        stable = 0;
      }
      last = now;
    }
    throw new AssertionError("the writer never stalled; wrote " + written.get());
  }

  @Test
  void cleanCloseIsEndOfStreamAfterTheLastByte() throws Exception {
    RelayConnection[] p = pair();
    RelayConnection s = p[0];
    RelayConnection l = p[1];
    l.getOutputStream().write(utf8("all of it"));
    CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
      try {
        l.close();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    assertThat(s.getInputStream().readAllBytes()).isEqualTo(utf8("all of it"));
    s.close();
    closing.get(10, TimeUnit.SECONDS);
    assertThat(s.closeStatus()).hasValueSatisfying(st -> {
      assertThat(st.code()).isEqualTo(1000);
      assertThat(st.clean()).isTrue();
    });
  }

  @Test
  void abortIsAnErrorNeverEndOfStream() throws Exception {
    RelayConnection[] p = pair();
    try (RelayConnection s = p[0]; RelayConnection l = p[1]) {
      l.getOutputStream().write(utf8("partial"));
      byte[] buf = new byte[7];
      assertThat(s.getInputStream().readNBytes(buf, 0, 7)).isEqualTo(7);
      l.abort();
      long t0 = System.nanoTime();
      InputStream in = s.getInputStream();
      assertThatThrownBy(() -> {
        while (in.read() >= 0) {
          // drain
        }
      }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2_000);
      assertThatThrownBy(() -> s.getOutputStream().write(1)).isInstanceOf(SocketException.class);
      assertThat(s.closeStatus()).hasValueSatisfying(st -> assertThat(st.clean()).isFalse());
      assertThat(s.isClosed()).isTrue();
    }
  }

  @Test
  void writesAfterShutdownOutputAndReadsAfterCloseFail() throws Exception {
    RelayConnection[] p = pair();
    try (RelayConnection s = p[0]; RelayConnection l = p[1]) {
      s.shutdownOutput();
      s.shutdownOutput(); // idempotent
      assertThatThrownBy(() -> s.getOutputStream().write(1)).isInstanceOf(SocketException.class);
      assertThat(l.getInputStream().read()).isEqualTo(-1);
      l.close();
      l.close(); // idempotent
      assertThatThrownBy(() -> l.getInputStream().read()).isInstanceOf(SocketException.class);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
  }
}
