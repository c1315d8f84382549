package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.TestSupport.Digest;
import dev.hybridrelay.server.LocalRelayExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Random payloads through the local relay, SHA-256 compared on both ends (reliability doc §5). */
@Timeout(180)
class DataIntegrityTest {
  private static final Logger log = LoggerFactory.getLogger(DataIntegrityTest.class);

  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.create();

  @Test
  void sixtyFourMebibytesEachWayFullDuplex() throws Exception {
    String cs = relay.connectionString("integrity-large");
    long size = 64L << 20;
    long seed = System.nanoTime();
    log.info("seed {}", seed);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (RelayListener listener = RelayListener.builder(cs).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs).build();
      long start = System.nanoTime();
      try (RelayConnection s = sender.connect(Duration.ofSeconds(10));
          RelayConnection l = listener.accept(Duration.ofSeconds(10))) {
        Future<Digest> sWrite = pool.submit(() -> {
          Digest d = TestSupport.writeRandom(s.getOutputStream(), size, seed);
          s.shutdownOutput();
          return d;
        });
        Future<Digest> lWrite = pool.submit(() -> {
          Digest d = TestSupport.writeRandom(l.getOutputStream(), size, seed + 1);
          l.shutdownOutput();
          return d;
        });
        Future<Digest> lRead = pool.submit(() -> TestSupport.readAll(l.getInputStream(), seed + 2));
        Future<Digest> sRead = pool.submit(() -> TestSupport.readAll(s.getInputStream(), seed + 3));
        assertThat(lRead.get()).isEqualTo(sWrite.get());
        assertThat(sRead.get()).isEqualTo(lWrite.get());
        assertThat(sRead.get().bytes()).isEqualTo(size);
      }
      double secs = (System.nanoTime() - start) / 1e9;
      log.info("64 MiB each way, full duplex, through the local relay: {} s ({} MiB/s aggregate)",
          String.format("%.2f", secs), String.format("%.1f", 128 / secs));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void manyConcurrentConnectionsWithRandomSizes() throws Exception {
    String cs = relay.connectionString("integrity-many");
    int connections = 50;
    long seed = System.nanoTime();
    log.info("seed {}", seed);
    Random sizes = new Random(seed);
    ExecutorService pool = Executors.newCachedThreadPool();
    try (RelayListener listener = RelayListener.builder(cs)
        .connectionHandler(c -> {
          // echo: the listener sends back what it reads, then shuts down
          try (c) {
            c.getInputStream().transferTo(c.getOutputStream());
            c.shutdownOutput();
            c.getInputStream().read();
          } catch (Exception e) {
            log.warn("echo failed", e);
          }
        })
        .build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs).build();
      List<Future<Digest[]>> results = new ArrayList<>();
      long start = System.nanoTime();
      long total = 0;
      for (int i = 0; i < connections; i++) {
        // log-uniform sizes from 0 to 4 MiB
        long size = i == 0 ? 0 : (long) Math.pow(2, sizes.nextDouble() * 22);
        total += size;
        long s = seed + i;
        results.add(pool.submit(() -> {
          try (RelayConnection c = sender.connect(Duration.ofSeconds(20))) {
            Future<Digest> w = pool.submit(() -> {
              Digest d = TestSupport.writeRandom(c.getOutputStream(), size, s);
              c.shutdownOutput();
              return d;
            });
            Digest r = TestSupport.readAll(c.getInputStream(), s);
            return new Digest[] {w.get(), r};
          }
        }));
      }
      for (Future<Digest[]> f : results) {
        Digest[] d = f.get();
        assertThat(d[1]).isEqualTo(d[0]);
      }
      log.info("{} concurrent echo connections, {} bytes each way, in {} ms", connections, total,
          (System.nanoTime() - start) / 1_000_000);
    } finally {
      pool.shutdownNow();
    }
  }
}
