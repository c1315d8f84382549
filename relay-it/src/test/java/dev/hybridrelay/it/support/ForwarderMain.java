package dev.hybridrelay.it.support;

import dev.hybridrelay.forward.LocalForwarder;
import dev.hybridrelay.forward.RemoteForwarder;

/**
 * Child-process forwarder (L3). Args: {@code local <connectionString> <hc> <portName>} prints
 * {@code FORWARDER PORT=<port>} once the local TCP port is bound on 127.0.0.1;
 * {@code remote <connectionString> <hc> <portName> <host> <port>} prints
 * {@code FORWARDER ONLINE} once the listener is online.
 */
public final class ForwarderMain {
  private ForwarderMain() {
  }

  public static void main(String[] args) throws Exception {
    String cs = args[1];
    String hc = args[2];
    String portName = args[3];
    if (args[0].equals("local")) {
      LocalForwarder f = LocalForwarder.builder(cs).hybridConnection(hc).portName(portName)
          .port(0).build();
      f.start();
      System.out.println("FORWARDER PORT=" + f.localPort());
    } else {
      RemoteForwarder f = RemoteForwarder.builder(cs).hybridConnection(hc)
          .target(portName, args[4], Integer.parseInt(args[5])).build();
      f.start();
      System.out.println("FORWARDER ONLINE " + f.isOnline());
    }
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
