package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IdleMemoryTrimTest {

  @Test
  void collectsOncePerQuietPeriodAfterTraffic() {
    AtomicLong activity = new AtomicLong();
    AtomicInteger gcs = new AtomicInteger();
    IdleMemoryTrim trim = new IdleMemoryTrim(activity::get, gcs::incrementAndGet);
    // start-up counts as traffic: the first quiet interval after the first check collects
    assertThat(trim.check()).isFalse();
    assertThat(trim.check()).isTrue();
    assertThat(trim.check()).isFalse(); // still quiet: no second collection
    assertThat(trim.check()).isFalse();
    activity.addAndGet(1 << 20);        // a transfer
    assertThat(trim.check()).isFalse(); // traffic in this interval: never collect while busy
    activity.addAndGet(1 << 20);
    assertThat(trim.check()).isFalse();
    assertThat(trim.check()).isTrue();  // one interval quiet after traffic
    assertThat(trim.check()).isFalse();
    assertThat(gcs.get()).isEqualTo(2);
    assertThat(trim.collections()).isEqualTo(2);
  }
}
