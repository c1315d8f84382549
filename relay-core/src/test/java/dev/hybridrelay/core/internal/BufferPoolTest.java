package dev.hybridrelay.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The pools hand idle buffers back after a quiet period (clock seam; the timer path with a short period). */
class BufferPoolTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private BufferPool pool(long idleMillis) {
    return new BufferPool(1024, 4096, false, now::get, idleMillis);
  }

  private void advanceMillis(long ms) {
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  @Test
  void idleBuffersAreReusedUntilThePoolWasQuietForTheIdlePeriod() {
    BufferPool p = pool(1_000);
    ByteBuffer a = p.acquire(2000);
    ByteBuffer b = p.acquire(2000);
    p.release(a);
    p.release(b);
    assertEquals(2, p.idleCount());

    advanceMillis(500);
    long next = p.trim();
    assertEquals(2, p.idleCount(), "not quiet long enough: nothing dropped");
    assertEquals(TimeUnit.MILLISECONDS.toNanos(500), next, "next check due when the period ends");
    ByteBuffer again = p.acquire(3000);
    assertTrue(again == a || again == b, "an idle buffer is reused"); // the most recently released first
    ByteBuffer other = again == a ? b : a;
    assertEquals(3000, again.limit());
    p.release(again);

    advanceMillis(1_000);
    assertEquals(-1, p.trim());
    assertEquals(0, p.idleCount(), "quiet for the idle period: the pool shrank to nothing");
    ByteBuffer fresh = p.acquire(2000);
    assertNotSame(a, fresh);
    assertNotSame(b, fresh);
    assertNotSame(other, fresh);
  }

  @Test
  void everyUseRestartsTheIdlePeriod() {
    BufferPool p = pool(1_000);
    p.release(p.acquire(1024));
    advanceMillis(900);
    p.release(p.acquire(1024));
    advanceMillis(900);
    p.trim();
    assertEquals(1, p.idleCount(), "used 900 ms ago: kept");
    advanceMillis(200);
    p.trim();
    assertEquals(0, p.idleCount());
  }

  @Test
  void buffersOutsideThePoolSizesAreNeitherPooledNorTrimmed() {
    BufferPool p = pool(1_000);
    p.release(p.acquire(100));
    p.release(ByteBuffer.allocate(4096).slice(1, 100));
    p.release(ByteBuffer.allocateDirect(4096));
    assertEquals(0, p.idleCount());
    assertEquals(-1, p.trim());
  }

  @Test
  void theSharedTimerTrimsAPoolThatWentQuiet() throws InterruptedException {
    SharedScheduler.acquire();
    try {
      BufferPool p = new BufferPool(1024, 4096, true, System::nanoTime, 50);
      ByteBuffer a = p.acquire(4096);
      ByteBuffer b = p.acquire(4096);
      p.release(a);
      p.release(b);
      // no claim on how fast: only that the timer, armed by the release, empties the pool
      assertTrue(waitsForTrim(p), "the pool still held " + p.idleCount() + " idle buffers after 60 s");
      // and a new burst re-arms it
      p.release(p.acquire(4096));
      assertTrue(waitsForTrim(p), "the pool was not trimmed again after new use");
    } finally {
      SharedScheduler.release();
    }
  }

  private static boolean waitsForTrim(BufferPool p) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (p.idleCount() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }
}
