package dev.hybridrelay.forward.internal;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Unix domain socket forwarder kind: how a local forwarder listens on a socket file and how a
 * remote forwarder connects to one (JDK 16+ {@link UnixDomainSocketAddress}). The bytes are then
 * pumped by {@link ForwardPump}, as for every stream kind.
 *
 * <ul>
 *   <li><b>Path length.</b> The system keeps a socket's path in {@code sun_path}: at most
 *       {@link #MAX_PATH_BYTES} bytes (107 on Linux, 103 on macOS and the BSDs). A longer path is
 *       refused before anything is created, naming the path, its length and the limit.
 *   <li><b>Stale files.</b> Binding a path that exists fails on every system. If the file is a
 *       socket that nothing accepts on (left behind by a crash), it is removed and bound again, with
 *       an INFO line; if a process accepts on it, binding is refused ("in use"); a file that is not
 *       a socket is never removed.
 *   <li><b>Permissions.</b> The socket file gets the mode the process's umask leaves (with umask 022:
 *       {@code srwxr-xr-x}; connecting needs write permission, so only the owner can connect), unless
 *       permissions are given, which are set right after binding and before the first accept.
 *   <li><b>Removal.</b> {@link #remove} deletes the file at close, if it is still the one bound.
 * </ul>
 */
public final class UnixSockets {
  private static final Logger log = LoggerFactory.getLogger(UnixSockets.class);
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  /** The longest socket path the system accepts, in bytes (the size of {@code sun_path} less its NUL). */
  public static final int MAX_PATH_BYTES = maxPathBytes();

  private UnixSockets() {}

  private static int maxPathBytes() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    return os.contains("linux") || os.contains("windows") ? 107 : 103;
  }

  /**
   * Checks that {@code path} fits {@code sun_path}.
   *
   * @throws IllegalArgumentException naming the path, its length and the limit
   */
  public static void checkPath(Path path) {
    Objects.requireNonNull(path, "path");
    String text = path.toString();
    if (text.isEmpty()) {
      throw new IllegalArgumentException("The Unix socket path is empty");
    }
    Charset cs;
    try {
      cs = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
    } catch (RuntimeException e) {
      cs = Charset.defaultCharset();
    }
    int n = text.getBytes(cs).length;
    if (n > MAX_PATH_BYTES) {
      throw new IllegalArgumentException("The Unix socket path '" + text + "' is " + n + " bytes long; the limit is "
          + MAX_PATH_BYTES + " bytes (sun_path) — use a shorter path");
    }
  }

  /**
   * Listens on the socket file {@code path}, replacing a stale socket file, and sets
   * {@code permissions} on it if not {@code null}.
   *
   * @throws BindException if a process accepts on the path, or the path exists and is not a socket
   * @throws IllegalArgumentException if the path is too long
   */
  public static ServerSocketChannel listen(Path path, Set<PosixFilePermission> permissions) throws IOException {
    checkPath(path);
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      removeIfStale(path);
    }
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.bind(UnixDomainSocketAddress.of(path), 128);
    } catch (IOException | RuntimeException e) {
      ch.close();
      BindException b = new BindException("Cannot listen on Unix socket '" + path + "': " + e.getMessage());
      b.initCause(e);
      throw b;
    }
    if (permissions != null) {
      try {
        Files.setPosixFilePermissions(path, permissions);
      } catch (IOException | RuntimeException e) {
        ch.close();
        remove(path, null);
        throw new IOException("Cannot set the permissions of Unix socket '" + path + "': " + e, e);
      }
    }
    return ch;
  }

  private static void removeIfStale(Path path) throws IOException {
    if (!isSocket(path)) {
      throw new BindException("Cannot listen on Unix socket '" + path + "': the path exists and is not a socket; "
          + "it is left alone — remove it or choose another path");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(path));
      throw new BindException("Cannot listen on Unix socket '" + path + "': it is in use, a process accepts "
          + "connections on it — stop that process or choose another path");
    } catch (ConnectException e) {
      // nothing accepts on it: left behind by a process that ended without removing it
    } catch (BindException e) {
      throw e;
    } catch (IOException e) {
      throw new BindException("Cannot listen on Unix socket '" + path + "': it exists and whether a process "
          + "accepts on it cannot be told (" + e.getMessage() + ") — remove it or choose another path");
    }
    try {
      Files.delete(path);
    } catch (NoSuchFileException e) {
      // removed meanwhile
    }
    log.info("Removed the stale Unix socket file '{}' (nothing accepted connections on it)", path);
  }

  private static boolean isSocket(Path path) throws IOException {
    try {
      Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return ((Integer) mode & S_IFMT) == S_IFSOCK;
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
    }
  }

  /** The identity of the file at {@code path} (its file key), or {@code null}. */
  public static Object fileKey(Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Deletes the socket file at {@code path} if it is still the file with {@code key} (another
   * process may have replaced it since); {@code key == null} deletes unconditionally.
   */
  public static void remove(Path path, Object key) {
    try {
      if (key != null && !key.equals(fileKey(path))) {
        return;
      }
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.warn("Could not remove the Unix socket file '{}': {}", path, e.toString());
    }
  }

  /** Connects to the socket file {@code path}; registered with {@code handshake} first. */
  public static SocketChannel connect(Path path, ForwardTracker.Handshake handshake) throws IOException {
    checkPath(path);
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    handshake.socket(ch);
    try {
      ch.connect(UnixDomainSocketAddress.of(path));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return ch;
  }
}
