package dev.hybridrelay.it.support;

/** Child-process echo listener (F3). Args: connection string. Prints {@code LISTENER ONLINE}. */
public final class EchoListenerMain {
  private EchoListenerMain() {
  }

  public static void main(String[] args) throws Exception {
    EchoListener l = EchoListener.open(args[0]);
    System.out.println("LISTENER ONLINE " + l.listener().isOnline());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
