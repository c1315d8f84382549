package dev.hybridrelay.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Reproducible test payloads: byte streams generated from a seed, with their length and SHA-256,
 * and random (log-uniform) sizes for writes, reads and payload lengths.
 *
 * <p>Every test that uses random data should take its seed from {@link #seed(String)}, which logs
 * it to stderr ({@code PAYLOAD SEED <label> = <seed>}) and honours the system property
 * {@code hybridrelay.seed} so a failing run can be replayed exactly.
 *
 * <pre>{@code
 * long seed = Payloads.seed("L1");
 * Payloads.Digest sent = Payloads.write(out, seed, 1 << 20, Payloads.logUniform(1, 65536, seed));
 * Payloads.Digest got  = Payloads.read(in, Payloads.logUniform(1, 65536, seed + 1));
 * assertEquals(sent, got);
 * }</pre>
 */
public final class Payloads {

  /** System property that fixes the seed of every {@link #seed(String)} call. */
  public static final String SEED_PROPERTY = "hybridrelay.seed";

  private Payloads() {
  }

  /**
   * Returns the seed for {@code label}: the value of {@value #SEED_PROPERTY} if set, otherwise a
   * fresh random seed; logs it to stderr either way.
   */
  public static long seed(String label) {
    String fixed = System.getProperty(SEED_PROPERTY);
    long seed = fixed != null && !fixed.isBlank() ? Long.parseLong(fixed.trim())
        : new SplittableRandom().nextLong();
    System.err.println("PAYLOAD SEED " + label + " = " + seed + "  (replay with -D"
        + SEED_PROPERTY + "=" + seed + ")");
    return seed;
  }

  // ------------------------------------------------------------------------------------------
  // Digests

  /** Length and SHA-256 of a byte sequence. Equal digests mean equal content (for tests). */
  public static final class Digest {
    private final long length;
    private final byte[] sha256;

    private Digest(long length, byte[] sha256) {
      this.length = length;
      this.sha256 = sha256.clone();
    }

    /** Number of bytes. */
    public long length() {
      return length;
    }

    /** SHA-256 as lower-case hex. */
    public String sha256Hex() {
      return HexFormat.of().formatHex(sha256);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Digest && ((Digest) o).length == length
          && MessageDigest.isEqual(((Digest) o).sha256, sha256);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(length) * 31 + java.util.Arrays.hashCode(sha256);
    }

    @Override
    public String toString() {
      return "Digest[length=" + length + ", sha256=" + sha256Hex().substring(0, 16) + "…]";
    }
  }

  /** Incremental digest: feed bytes, then {@link #finish()}. */
  public static final class Hasher {
    private final MessageDigest md = sha256();
    private long length;

    /** Adds {@code len} bytes of {@code b} from {@code off}. */
    public Hasher update(byte[] b, int off, int len) {
      md.update(b, off, len);
      length += len;
      return this;
    }

    /** Bytes fed so far. */
    public long length() {
      return length;
    }

    /** The digest of everything fed. The hasher must not be used afterwards. */
    public Digest finish() {
      return new Digest(length, md.digest());
    }
  }

  /** A new {@link Hasher}. */
  public static Hasher hasher() {
    return new Hasher();
  }

  /** Digest of {@code data}. */
  public static Digest digest(byte[] data) {
    return new Hasher().update(data, 0, data.length).finish();
  }

  /** Digest of the {@code length}-byte stream generated from {@code seed}, computed without I/O. */
  public static Digest expected(long seed, long length) {
    Generator g = new Generator(seed);
    Hasher h = new Hasher();
    byte[] buf = new byte[64 * 1024];
    long left = length;
    while (left > 0) {
      int n = (int) Math.min(buf.length, left);
      g.fill(buf, 0, n);
      h.update(buf, 0, n);
      left -= n;
    }
    return h.finish();
  }

  // ------------------------------------------------------------------------------------------
  // Generated content

  /**
   * Deterministic byte generator: the same seed always yields the same byte sequence, however the
   * calls to {@link #fill} are split.
   */
  public static final class Generator {
    private final SplittableRandom random;
    private long word;
    private int wordLeft;

    /** A generator for {@code seed}. */
    public Generator(long seed) {
      this.random = new SplittableRandom(seed);
    }

    /** Fills {@code b[off..off+len)} with the next bytes of the sequence. */
    public void fill(byte[] b, int off, int len) {
      for (int i = 0; i < len; i++) {
        if (wordLeft == 0) {
          word = random.nextLong();
          wordLeft = 8;
        }
        b[off + i] = (byte) word;
        word >>>= 8;
        wordLeft--;
      }
    }
  }

  /** An input stream of exactly {@code length} bytes generated from {@code seed}. */
  public static InputStream stream(long seed, long length) {
    return new InputStream() {
      private final Generator g = new Generator(seed);
      private long left = length;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left == 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        g.fill(b, off, n);
        left -= n;
        return n;
      }
    };
  }

  /** The first {@code length} bytes generated from {@code seed} as an array. */
  public static byte[] bytes(long seed, int length) {
    byte[] b = new byte[length];
    new Generator(seed).fill(b, 0, length);
    return b;
  }

  // ------------------------------------------------------------------------------------------
  // Sizes

  /** Supplies sizes, e.g. for successive writes or reads. */
  @FunctionalInterface
  public interface Sizer {
    /** The next size (≥ 1 for chunk sizes). */
    int next();
  }

  /**
   * Sizes from {@code min} to {@code max} (inclusive) with a log-uniform distribution: every
   * power-of-two range is equally likely, so 1 B writes occur as often as 64 KiB ones.
   */
  public static Sizer logUniform(int min, int max, long seed) {
    if (min < 1 || max < min) {
      throw new IllegalArgumentException("need 1 <= min <= max");
    }
    SplittableRandom r = new SplittableRandom(seed);
    return () -> (int) logUniform(r, min, max);
  }

  /** A fixed size. */
  public static Sizer fixed(int size) {
    return () -> size;
  }

  /**
   * A log-uniform value in {@code [min, max]}; {@code min} may be 0, in which case 0 is returned
   * with the same probability as each power-of-two range.
   */
  public static long logUniform(SplittableRandom r, long min, long max) {
    if (min < 0 || max < min) {
      throw new IllegalArgumentException("need 0 <= min <= max");
    }
    if (min == max) {
      return min;
    }
    long lo = min;
    if (min == 0) {
      int ranges = 64 - Long.numberOfLeadingZeros(max) + 1;
      if (r.nextInt(ranges) == 0) {
        return 0;
      }
      lo = 1;
    }
    double a = Math.log(lo);
    double b = Math.log(max + 1.0);
    long v = (long) Math.floor(Math.exp(a + r.nextDouble() * (b - a)));
    return Math.max(lo, Math.min(max, v));
  }

  // ------------------------------------------------------------------------------------------
  // I/O helpers

  /**
   * Writes the {@code length}-byte stream generated from {@code seed} to {@code out} in writes of
   * {@code sizes} bytes (flushing after each), and returns its digest. Does not close or shut
   * down {@code out}.
   */
  public static Digest write(OutputStream out, long seed, long length, Sizer sizes)
      throws IOException {
    Objects.requireNonNull(out, "out");
    Generator g = new Generator(seed);
    Hasher h = new Hasher();
    byte[] buf = new byte[64 * 1024];
    long left = length;
    while (left > 0) {
      int n = (int) Math.min(Math.max(1, sizes.next()), left);
      if (buf.length < n) {
        buf = new byte[n];
      }
      g.fill(buf, 0, n);
      out.write(buf, 0, n);
      out.flush();
      h.update(buf, 0, n);
      left -= n;
    }
    return h.finish();
  }

  /** Reads {@code in} to EOF with reads of {@code sizes} bytes and returns the digest. */
  public static Digest read(InputStream in, Sizer sizes) throws IOException {
    return read(in, sizes, Long.MAX_VALUE);
  }

  /**
   * Reads {@code in} until EOF or {@code max} bytes, whichever comes first, with reads of
   * {@code sizes} bytes, and returns the digest of what was read.
   */
  public static Digest read(InputStream in, Sizer sizes, long max) throws IOException {
    Hasher h = new Hasher();
    byte[] buf = new byte[64 * 1024];
    while (h.length() < max) {
      int want = (int) Math.min(Math.max(1, sizes.next()), max - h.length());
      if (buf.length < want) {
        buf = new byte[want];
      }
      int n = in.read(buf, 0, want);
      if (n < 0) {
        break;
      }
      h.update(buf, 0, n);
    }
    return h.finish();
  }

  /**
   * Reads exactly {@code length} bytes and then expects EOF.
   *
   * @throws IOException if EOF comes early ({@link java.io.EOFException}), if more bytes follow,
   *     or if the stream fails
   */
  public static Digest readExactlyThenEof(InputStream in, long length, Sizer sizes)
      throws IOException {
    Digest d = read(in, sizes, length);
    if (d.length() < length) {
      throw new java.io.EOFException("EOF after " + d.length() + " of " + length + " bytes");
    }
    int extra = in.read();
    if (extra >= 0) {
      throw new IOException("expected EOF after " + length + " bytes, got more data");
    }
    return d;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
