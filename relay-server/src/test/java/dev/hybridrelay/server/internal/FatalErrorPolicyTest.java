package dev.hybridrelay.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class FatalErrorPolicyTest {

  RelaySettings settings(List<Throwable> sink) throws Exception {
    return new RelaySettings(InetAddress.getLoopbackAddress(), 0, "localhost", List.of(), List.of(),
        false, null, 1024, 1024, 1024, Duration.ofSeconds(1), 1024, 10, 10, 10, 25,
        Duration.ofSeconds(1), Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO, sink::add,
        RelaySettings.DEFAULT_CLOSE_TIMEOUT, Duration.ofSeconds(60), 10, 10, null);
  }

  @Test
  void errorsOnIoThreadsReachTheFatalHandlerOnceAndCloseTheChannel() throws Exception {
    List<Throwable> sink = new CopyOnWriteArrayList<>();
    RelayEngine engine = new RelayEngine(settings(sink));
    EmbeddedChannel ch = new EmbeddedChannel();
    OutOfMemoryError oom = new OutOfMemoryError("simulated");
    engine.onException(ch, new io.netty.handler.codec.DecoderException(oom));
    engine.onException(new EmbeddedChannel(), new StackOverflowError());
    assertThat(sink).containsExactly(oom);
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void ordinaryExceptionsOnlyCloseTheChannel() throws Exception {
    List<Throwable> sink = new CopyOnWriteArrayList<>();
    RelayEngine engine = new RelayEngine(settings(sink));
    EmbeddedChannel ch = new EmbeddedChannel();
    engine.onException(ch, new IOException("Connection reset by peer"));
    assertThat(sink).isEmpty();
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void guardedTasksReportErrors() throws Exception {
    List<Throwable> sink = new CopyOnWriteArrayList<>();
    RelayEngine engine = new RelayEngine(settings(sink));
    engine.guarded(() -> {
      throw new InternalError("boom");
    }).run();
    assertThat(sink).hasSize(1);
  }
}
