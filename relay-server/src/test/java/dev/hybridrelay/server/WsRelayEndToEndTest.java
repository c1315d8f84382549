package dev.hybridrelay.server;

class WsRelayEndToEndTest extends AbstractRelayEndToEndTest {
  @Override
  boolean tls() {
    return false;
  }
}
