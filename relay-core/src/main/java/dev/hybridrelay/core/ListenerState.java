package dev.hybridrelay.core;

/** The life cycle of a {@link RelayListener}. */
public enum ListenerState {
  /** Built, {@link RelayListener#open()} not called yet. */
  NEW,
  /** Opening or re-opening the control channel. */
  CONNECTING,
  /** The control channel is up; senders can reach this listener. */
  ONLINE,
  /** Gave up after a permanent failure (entity gone, credentials refused); see the cause. */
  OFFLINE,
  /** {@link RelayListener#close()} was called. */
  CLOSED
}
