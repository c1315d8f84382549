package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The whole end-to-end suite on the JDK's NIO transport (the default is epoll where it loads). */
class NioRelayEndToEndTest extends AbstractRelayEndToEndTest {
  @Override
  boolean tls() {
    return false;
  }

  @Override
  void configure(LocalRelayServer.Builder b) {
    b.transport(LocalRelayServer.Transport.NIO);
  }

  @Test
  void runsOnNio() {
    assertThat(relay.server.transportName()).isEqualTo("nio");
  }
}
