package dev.hybridrelay.forward.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The azbridge connect preamble and its reply, byte for byte.
 *
 * <pre>
 * sender   -&gt; listener  message 1: [0x01, 0x00, mode, n]      major 1, minor 0, mode 0 = stream, 1 = datagram
 *                       message 2: n bytes, UTF-8 port name  (1 &lt;= n &lt;= 255)
 * listener -&gt; sender    [1, 0, mode]   accepted, data follows
 *                       [0, 0, 0]      unsupported version
 *                       [0, 0, 1]      the target is a datagram target but mode != 1
 *                       [0, 0, 255]    the target is a stream target but mode == 1
 *                       (no reply, clean close)  unknown port name
 * </pre>
 *
 * The two sender messages are written with two separate {@code write} + {@code flush} calls, which a
 * relay connection sends as two binary messages, as azbridge does. Readers must not rely on the
 * message boundaries though, and do not.
 */
public final class Preamble {
  public static final int MAJOR = 1;
  public static final int MINOR = 0;
  public static final int MODE_STREAM = 0;
  public static final int MODE_DATAGRAM = 1;
  public static final int MAX_PORT_NAME_BYTES = 255;

  /** Reply: unsupported version. */
  public static final byte[] REPLY_UNSUPPORTED_VERSION = {0, 0, 0};
  /** Reply: the target is a datagram target, but the sender asked for stream mode. */
  public static final byte[] REPLY_DATAGRAM_REQUIRED = {0, 0, 1};
  /** Reply: the target is a stream target, but the sender asked for datagram mode. */
  public static final byte[] REPLY_STREAM_REQUIRED = {0, 0, (byte) 255};

  private Preamble() {}

  /** The accept reply for {@code mode}: {@code [1, 0, mode]}. */
  public static byte[] okReply(int mode) {
    return new byte[] {MAJOR, MINOR, (byte) mode};
  }

  /**
   * The UTF-8 bytes of a port name, checked.
   *
   * @throws IllegalArgumentException if the name is empty, longer than 255 UTF-8 bytes, or contains
   *     control characters
   */
  public static byte[] portNameBytes(String portName) {
    if (portName == null || portName.isEmpty()) {
      throw new IllegalArgumentException("The port name must not be empty");
    }
    for (int i = 0; i < portName.length(); i++) {
      if (Character.isISOControl(portName.charAt(i))) {
        throw new IllegalArgumentException("The port name must not contain control characters: '"
            + portName.replaceAll("\\p{Cntrl}", "?") + "'");
      }
    }
    byte[] b = portName.getBytes(StandardCharsets.UTF_8);
    if (b.length > MAX_PORT_NAME_BYTES) {
      throw new IllegalArgumentException("The port name must be at most " + MAX_PORT_NAME_BYTES
          + " UTF-8 bytes, but '" + portName.substring(0, 32) + "...' has " + b.length);
    }
    return b;
  }

  /** The 4-byte header message for a port name of {@code nameLength} bytes. */
  public static byte[] header(int mode, int nameLength) {
    return new byte[] {MAJOR, MINOR, (byte) mode, (byte) nameLength};
  }

  /** Writes the preamble as two messages: the header, then the port name. */
  public static void writeRequest(OutputStream out, int mode, String portName) throws IOException {
    byte[] name = portNameBytes(portName);
    out.write(header(mode, name.length));
    out.flush();
    out.write(name);
    out.flush();
  }

  /** What the listener side read. */
  public record Request(int major, int minor, int mode, String portName) {
    /** Whether this implementation understands the version and mode (1.0, stream or datagram). */
    public boolean supported() {
      return major == MAJOR && minor == MINOR && (mode == MODE_STREAM || mode == MODE_DATAGRAM);
    }
  }

  /**
   * Reads a preamble. Like azbridge, reads the first three bytes and stops there if the version is
   * not 1.0 or the mode unknown (then {@code portName} is {@code null}).
   *
   * @return the request, or {@code null} if the stream ended cleanly before a complete preamble
   */
  public static Request readRequest(InputStream in) throws IOException {
    byte[] head = new byte[3];
    if (!readFully(in, head)) {
      return null;
    }
    Request versionOnly = new Request(head[0] & 0xff, head[1] & 0xff, head[2] & 0xff, null);
    if (!versionOnly.supported()) {
      return versionOnly;
    }
    int n = in.read();
    if (n < 0) {
      return null;
    }
    byte[] name = new byte[n];
    if (!readFully(in, name)) {
      return null;
    }
    return new Request(versionOnly.major(), versionOnly.minor(), versionOnly.mode(),
        new String(name, StandardCharsets.UTF_8));
  }

  /** The meaning of a reply. */
  public enum ReplyKind {
    OK, UNSUPPORTED_VERSION, DATAGRAM_REQUIRED, STREAM_REQUIRED, UNKNOWN, CLOSED_WITHOUT_REPLY
  }

  /** Reads the 3-byte reply to a preamble sent with {@code mode}. */
  public static ReplyKind readReply(InputStream in, int mode) throws IOException {
    byte[] r = new byte[3];
    if (!readFully(in, r)) {
      return ReplyKind.CLOSED_WITHOUT_REPLY;
    }
    return classifyReply(r, mode);
  }

  /** Classifies a complete 3-byte reply. */
  public static ReplyKind classifyReply(byte[] r, int mode) {
    if (Arrays.equals(r, okReply(mode))) {
      return ReplyKind.OK;
    }
    if (Arrays.equals(r, REPLY_UNSUPPORTED_VERSION)) {
      return ReplyKind.UNSUPPORTED_VERSION;
    }
    if (Arrays.equals(r, REPLY_DATAGRAM_REQUIRED)) {
      return ReplyKind.DATAGRAM_REQUIRED;
    }
    if (Arrays.equals(r, REPLY_STREAM_REQUIRED)) {
      return ReplyKind.STREAM_REQUIRED;
    }
    return ReplyKind.UNKNOWN;
  }

  /** Reads exactly {@code b.length} bytes; false on a clean end before the first byte or mid-way. */
  private static boolean readFully(InputStream in, byte[] b) throws IOException {
    int off = 0;
    while (off < b.length) {
      int r = in.read(b, off, b.length - off);
      if (r < 0) {
        return false;
      }
      off += r;
    }
    return true;
  }
}
