package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

class StartupWarmupTest {

  @Test
  void everyWarmedClassStillExists() {
    // a renamed class would silently drop out of the warm-up; this catches it
    for (String name : StartupWarmup.CLASSES) {
      assertThatCode(() -> Class.forName(name, false, getClass().getClassLoader()))
          .as(name).doesNotThrowAnyException();
    }
  }

  @Test
  void startsOnlyForClientRoles() throws Exception {
    assertThat(StartupWarmup.startFor(new String[] {"--version"})).isNull();
    assertThat(StartupWarmup.startFor(new String[] {"serve", "--port=0"})).isNull();
    assertThat(StartupWarmup.startFor(new String[0])).isNull();
    Thread t = StartupWarmup.startFor(new String[] {"forward", "-T", "x:127.0.0.1:1"});
    assertThat(t).isNotNull();
    assertThat(t.isDaemon()).isTrue();
    assertThat(t.getName()).isEqualTo("hybridrelay-warmup");
    t.join(60_000);
    assertThat(t.isAlive()).as("warm-up finished").isFalse();
  }
}
