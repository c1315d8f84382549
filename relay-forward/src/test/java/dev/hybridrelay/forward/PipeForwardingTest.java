package dev.hybridrelay.forward;

import dev.hybridrelay.core.RelayConnection;
import java.util.List;

/** The forwarding scenarios over an in-memory relay connection: tests the pump and both forwarders alone. */
class PipeForwardingTest extends AbstractForwardingTest {
  private static final String DUMMY = "Endpoint=sb://relay.invalid/;SharedAccessKeyName=test;SharedAccessKey=test";

  @Override
  Chain chain(String localPortName, List<ForwardTarget> targets, ForwardOptions options,
      boolean strictPortNames) throws Exception {
    RemoteForwarder.Builder rb = RemoteForwarder.builder(DUMMY).hybridConnection("pipe").options(options)
        .events(remoteEvents).strictPortNames(strictPortNames);
    targets.forEach(rb::target);
    RemoteForwarder remote = rb.build();
    LocalForwarder local = LocalForwarder.builder(DUMMY)
        .connector(timeout -> {
          RelayConnection[] pair = PipeRelay.pair(1 << 20);
          Thread t = new Thread(() -> remote.handleForTest(pair[1]), "test-remote-handler");
          t.setDaemon(true);
          t.start();
          return pair[0];
        }, "pipe")
        .portName(localPortName).options(options).events(localEvents).build();
    local.start();
    return new Chain() {
      @Override
      public LocalForwarder local() {
        return local;
      }

      @Override
      public RemoteForwarder remote() {
        return remote;
      }

      @Override
      public void close() {
        local.close();
        remote.close();
      }
    };
  }

  @Override
  int largePayloadBytes() {
    return 64 << 20;
  }
}
