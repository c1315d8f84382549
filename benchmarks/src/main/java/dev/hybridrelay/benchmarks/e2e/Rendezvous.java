package dev.hybridrelay.benchmarks.e2e;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;

/**
 * Rendezvous latency against a running relay: time from the start of {@code RelaySender.connect()}
 * until both the listener's {@code accept()} and the sender's {@code connect()} have returned, i.e.
 * the listener accepted and the relay spliced both legs. Listener and sender live in this process;
 * the relay is the process under test.
 *
 * <p>{@code java -cp benchmarks.jar dev.hybridrelay.benchmarks.e2e.Rendezvous CS HC COUNT}; prints
 * {@code rdv_p50_us}, {@code rdv_p99_us}.
 */
public final class Rendezvous {
  private Rendezvous() {}

  public static void main(String[] args) throws Exception {
    String cs = args[0];
    String hc = args[1];
    int count = Integer.parseInt(args[2]);
    SynchronousQueue<Long> accepted = new SynchronousQueue<>();
    try (RelayListener listener = RelayListener.builder(cs).entityPath(hc).build()) {
      listener.open();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            RelayConnection c = listener.accept();
            if (c == null) {
              return;
            }
            accepted.put(System.nanoTime());
            c.close();
          }
        } catch (Exception e) {
          // listener closed
        }
      }, "rdv-accept");
      acceptor.setDaemon(true);
      acceptor.start();
      RelaySender sender = RelaySender.builder(cs).entityPath(hc).build();
      // Warm-up (not counted): enough rendezvous for the JIT to compile the connect and accept paths
      // of the processes under test; the p99 of a cold run is JIT compilation, not the protocol.
      int warm = Math.max(300, count / 2);
      long[] t = new long[count];
      int errors = 0;
      for (int i = 0; i < warm + count; i++) {
        long t0 = System.nanoTime();
        long done;
        try (RelayConnection c = sender.connect(Duration.ofSeconds(10))) {
          done = System.nanoTime();
          Long acc = accepted.poll(10, TimeUnit.SECONDS);
          if (acc == null) {
            throw new IllegalStateException("listener never accepted");
          }
          done = Math.max(done, acc);
        } catch (Exception e) {
          errors++;
          continue;
        }
        if (i >= warm) {
          t[i - warm] = done - t0;
        }
      }
      Arrays.sort(t);
      System.out.printf("rdv_p50_us=%.1f%nrdv_p99_us=%.1f%nrdv_count=%d%nrdv_errors=%d%n",
          ConnLoad.pct(t, 50) / 1e3, ConnLoad.pct(t, 99) / 1e3, count, errors);
    }
    System.exit(0);
  }
}
