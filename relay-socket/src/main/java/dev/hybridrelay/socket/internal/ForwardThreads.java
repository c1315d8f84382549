package dev.hybridrelay.socket.internal;

/** Daemon threads named {@code hybridrelay-forward-…}. */
public final class ForwardThreads {
  private ForwardThreads() {}

  /** A new, unstarted daemon thread named {@code hybridrelay-forward-<suffix>}. */
  public static Thread newThread(String suffix, Runnable task) {
    Thread t = new Thread(task, "hybridrelay-forward-" + suffix);
    t.setDaemon(true);
    return t;
  }
}
