package dev.hybridrelay.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/** Deterministic payloads and digests for the HTTP request-mode tests. */
final class HttpTestSupport {
  private HttpTestSupport() {}

  /** {@code size} bytes from a generator seeded with {@code seed}. */
  static byte[] bytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String sha256(byte[] b) {
    MessageDigest md = TestSupport.sha256();
    md.update(b);
    return HexFormat.of().formatHex(md.digest());
  }

  /** Reads everything; returns the SHA-256 and the byte count as {@code sha:count}. */
  static String digest(InputStream in) throws IOException {
    MessageDigest md = TestSupport.sha256();
    byte[] buf = new byte[64 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buf)) >= 0) {
      md.update(buf, 0, n);
      total += n;
    }
    return HexFormat.of().formatHex(md.digest()) + ":" + total;
  }

  /** Writes {@code size} seeded bytes in pieces of up to 100,000 bytes. */
  static void writeSeeded(OutputStream out, long size, long seed) throws IOException {
    Random r = new Random(seed);
    byte[] buf = new byte[100_000];
    long left = size;
    while (left > 0) {
      int n = (int) Math.min(left, buf.length);
      r.nextBytes(buf);
      out.write(buf, 0, n);
      left -= n;
    }
  }

  /** The digest {@link #writeSeeded} produces. */
  static String seededDigest(long size, long seed) {
    Random r = new Random(seed);
    MessageDigest md = TestSupport.sha256();
    byte[] buf = new byte[100_000];
    long left = size;
    while (left > 0) {
      int n = (int) Math.min(left, buf.length);
      r.nextBytes(buf);
      md.update(buf, 0, n);
      left -= n;
    }
    return HexFormat.of().formatHex(md.digest()) + ":" + size;
  }
}
