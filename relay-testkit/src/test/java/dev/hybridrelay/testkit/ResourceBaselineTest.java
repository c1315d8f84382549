package dev.hybridrelay.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ResourceBaselineTest {

  @Test
  void reportsLeakedThreadsByNameAndPassesOnceTheyEnd() throws Exception {
    ResourceBaseline base = ResourceBaseline.capture(ResourceBaseline.LIBRARY_THREAD_PREFIX);
    CountDownLatch stop = new CountDownLatch(1);
    Thread t = new Thread(() -> {
      try {
        stop.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "hybridrelay-leaky-1");
    t.start();
    AssertionError e = assertThrows(AssertionError.class,
        () -> base.assertBackToBaseline(0, Duration.ofMillis(200)));
    assertTrue(e.getMessage().contains("hybridrelay-leaky-1"), e.getMessage());
    stop.countDown();
    t.join();
    base.assertBackToBaseline(0, Duration.ofSeconds(2));
  }

  @Test
  void countsDescriptors() throws Exception {
    ResourceBaseline base = ResourceBaseline.capture();
    if (base.fdCount() < 0) {
      return; // not Linux
    }
    ServerSocket s = new ServerSocket(0);
    try {
      assertTrue(ResourceBaseline.currentFdCount() > base.fdCount());
      AssertionError e = assertThrows(AssertionError.class,
          () -> base.assertBackToBaseline(0, Duration.ofMillis(200)));
      assertTrue(e.getMessage().contains("socket:"), e.getMessage());
    } finally {
      s.close();
    }
    base.assertBackToBaseline(0, Duration.ofSeconds(2));
  }
}
