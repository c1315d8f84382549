package dev.hybridrelay.server;

class WssRelayEndToEndTest extends AbstractRelayEndToEndTest {
  @Override
  boolean tls() {
    return true;
  }
}
