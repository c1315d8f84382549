package dev.hybridrelay.forward;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning shared by {@link LocalForwarder} and {@link RemoteForwarder}. Immutable; build with
 * {@link #builder()}; {@link #defaults()} gives the values listed on each builder method.
 *
 * <p>Memory per forwarded connection is bounded: one buffer of {@link Builder#bufferSize} per
 * direction in the pump, plus the relay connection's receive and send windows. A slow reader on
 * either side slows the writer on the other side; nothing queues without bound.
 */
public final class ForwardOptions {
  private static final ForwardOptions DEFAULTS = builder().build();

  private final int bufferSize;
  private final int maxConnections;
  private final Duration idleTimeout;
  private final Duration writeTimeout;
  private final Duration relayConnectTimeout;
  private final Duration targetConnectTimeout;
  private final Duration handshakeTimeout;
  private final Duration closeTimeout;
  private final Duration udpIdleTimeout;
  private final boolean earlyData;

  private ForwardOptions(Builder b) {
    this.bufferSize = b.bufferSize;
    this.maxConnections = b.maxConnections;
    this.idleTimeout = b.idleTimeout;
    this.writeTimeout = b.writeTimeout;
    this.relayConnectTimeout = b.relayConnectTimeout;
    this.targetConnectTimeout = b.targetConnectTimeout;
    this.handshakeTimeout = b.handshakeTimeout;
    this.closeTimeout = b.closeTimeout;
    this.udpIdleTimeout = b.udpIdleTimeout;
    this.earlyData = b.earlyData;
  }

  /** The defaults. */
  public static ForwardOptions defaults() {
    return DEFAULTS;
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.bufferSize = bufferSize;
    b.maxConnections = maxConnections;
    b.idleTimeout = idleTimeout;
    b.writeTimeout = writeTimeout;
    b.relayConnectTimeout = relayConnectTimeout;
    b.targetConnectTimeout = targetConnectTimeout;
    b.handshakeTimeout = handshakeTimeout;
    b.closeTimeout = closeTimeout;
    b.udpIdleTimeout = udpIdleTimeout;
    b.earlyData = earlyData;
    return b;
  }

  public int bufferSize() {
    return bufferSize;
  }

  public int maxConnections() {
    return maxConnections;
  }

  public Duration idleTimeout() {
    return idleTimeout;
  }

  public Duration writeTimeout() {
    return writeTimeout;
  }

  public Duration relayConnectTimeout() {
    return relayConnectTimeout;
  }

  public Duration targetConnectTimeout() {
    return targetConnectTimeout;
  }

  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  public Duration closeTimeout() {
    return closeTimeout;
  }

  public Duration udpIdleTimeout() {
    return udpIdleTimeout;
  }

  /** Whether a local forwarder sends the client's first bytes right after the preamble; see {@link Builder#earlyData}. */
  public boolean earlyData() {
    return earlyData;
  }

  @Override
  public String toString() {
    return "ForwardOptions{bufferSize=" + bufferSize + ", maxConnections=" + maxConnections + ", idleTimeout="
        + idleTimeout + ", writeTimeout=" + writeTimeout + ", relayConnectTimeout=" + relayConnectTimeout
        + ", targetConnectTimeout=" + targetConnectTimeout + ", handshakeTimeout=" + handshakeTimeout
        + ", closeTimeout=" + closeTimeout + ", udpIdleTimeout=" + udpIdleTimeout + ", earlyData=" + earlyData + "}";
  }

  /** Builds {@link ForwardOptions}. */
  public static final class Builder {
    private int bufferSize = 64 * 1024;
    private int maxConnections = 1000;
    private Duration idleTimeout = Duration.ZERO;
    private Duration writeTimeout = Duration.ofSeconds(60);
    private Duration relayConnectTimeout = Duration.ofSeconds(30);
    private Duration targetConnectTimeout = Duration.ofSeconds(10);
    private Duration handshakeTimeout = Duration.ofSeconds(30);
    private Duration closeTimeout = Duration.ofSeconds(5);
    private Duration udpIdleTimeout = Duration.ofMinutes(4);
    private boolean earlyData = true;

    private Builder() {}

    /**
     * Bytes read at a time, per direction and connection; also the largest relay message the pump
     * writes. Default 64 KiB, as azbridge. 1 KiB to 1 MiB.
     */
    public Builder bufferSize(int bytes) {
      if (bytes < 1024 || bytes > (1 << 20)) {
        throw new IllegalArgumentException("bufferSize must be 1024..1048576 bytes, but was " + bytes);
      }
      this.bufferSize = bytes;
      return this;
    }

    /**
     * Connections forwarded at the same time; more are refused (a local client is reset, a sender
     * is rejected with 503). Default 1000.
     */
    public Builder maxConnections(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1, but was " + max);
      }
      this.maxConnections = max;
      return this;
    }

    /**
     * A connection that moves no byte in either direction for this long is aborted (both ends see a
     * reset). {@link Duration#ZERO}, the default, never times out.
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = nonNegative("idleTimeout", timeout);
      return this;
    }

    /**
     * A write to either side that blocks this long (the reader stopped reading) aborts the
     * connection. Default 60 s, as azbridge; {@link Duration#ZERO} disables the watchdog.
     */
    public Builder writeTimeout(Duration timeout) {
      this.writeTimeout = nonNegative("writeTimeout", timeout);
      return this;
    }

    /** How long a local forwarder waits for the relay to connect it to a listener. Default 30 s. */
    public Builder relayConnectTimeout(Duration timeout) {
      this.relayConnectTimeout = positive("relayConnectTimeout", timeout);
      return this;
    }

    /** How long a remote forwarder waits for its TCP target to accept. Default 10 s. */
    public Builder targetConnectTimeout(Duration timeout) {
      this.targetConnectTimeout = positive("targetConnectTimeout", timeout);
      return this;
    }

    /** How long each side waits for the preamble or its reply. Default 30 s. */
    public Builder handshakeTimeout(Duration timeout) {
      this.handshakeTimeout = positive("handshakeTimeout", timeout);
      return this;
    }

    /**
     * How long {@code close()} lets open connections finish before aborting them. Default 5 s.
     */
    public Builder closeTimeout(Duration timeout) {
      this.closeTimeout = nonNegative("closeTimeout", timeout);
      return this;
    }

    /**
     * A UDP flow that carries no datagram in either direction for this long is closed cleanly
     * (Close 1000 on its relay connection); the next datagram from that source opens a new one.
     * Default 4 minutes, as azbridge; {@link Duration#ZERO} never times out. {@link #idleTimeout}
     * does not apply to UDP flows.
     */
    public Builder udpIdleTimeout(Duration timeout) {
      this.udpIdleTimeout = nonNegative("udpIdleTimeout", timeout);
      return this;
    }

    /**
     * Whether a {@link LocalForwarder} sends what the TCP client has already sent (up to 16 KiB,
     * read without waiting once the relay connection is open) right after the preamble, instead of
     * after the remote forwarder's reply. For protocols where the client speaks first (HTTP, TLS,
     * database logins) this saves one round trip through the relay per connection. The preamble
     * bytes are unchanged; the data follows as the next message, which an azbridge-compatible
     * remote forwarder reads after the preamble (it reads the preamble byte-exactly and pumps what
     * follows once its target is connected). If the remote refuses the port name, the early bytes
     * are discarded with the connection, as before. Default {@code true}; {@code false} waits for
     * the reply before reading the client, as earlier versions did.
     */
    public Builder earlyData(boolean enabled) {
      this.earlyData = enabled;
      return this;
    }

    public ForwardOptions build() {
      return new ForwardOptions(this);
    }

    private static Duration nonNegative(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative, but was " + d);
      }
      return d;
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, but was " + d);
      }
      return d;
    }
  }
}
