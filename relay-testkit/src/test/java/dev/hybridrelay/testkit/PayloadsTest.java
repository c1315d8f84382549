package dev.hybridrelay.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PayloadsTest {

  @Test
  void sameSeedSameBytesHoweverSplit() {
    byte[] whole = Payloads.bytes(77, 1000);
    Payloads.Generator g = new Payloads.Generator(77);
    byte[] parts = new byte[1000];
    g.fill(parts, 0, 3);
    g.fill(parts, 3, 500);
    g.fill(parts, 503, 497);
    assertArrayEquals(whole, parts);
    assertNotEquals(Payloads.digest(whole), Payloads.digest(Payloads.bytes(78, 1000)));
  }

  @Test
  void writeReadAndExpectedAgree() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Payloads.Digest w = Payloads.write(out, 5, 300_000, Payloads.logUniform(1, 65536, 1));
    Payloads.Digest r = Payloads.read(new ByteArrayInputStream(out.toByteArray()),
        Payloads.logUniform(1, 4096, 2));
    assertEquals(w, r);
    assertEquals(Payloads.expected(5, 300_000), w);
    assertEquals(Payloads.digest(out.toByteArray()), w);
    assertEquals(64, w.sha256Hex().length());
  }

  @Test
  void readExactlyThenEofDetectsShortAndLong() throws IOException {
    byte[] b = Payloads.bytes(1, 100);
    assertEquals(100, Payloads.readExactlyThenEof(new ByteArrayInputStream(b), 100,
        Payloads.fixed(7)).length());
    assertThrows(EOFException.class,
        () -> Payloads.readExactlyThenEof(new ByteArrayInputStream(b), 101, Payloads.fixed(7)));
    assertThrows(IOException.class,
        () -> Payloads.readExactlyThenEof(new ByteArrayInputStream(b), 99, Payloads.fixed(7)));
  }

  @Test
  void logUniformStaysInRangeAndCoversDecades() {
    SplittableRandom r = new SplittableRandom(3);
    int zeros = 0;
    int small = 0;
    int large = 0;
    for (int i = 0; i < 10_000; i++) {
      long v = Payloads.logUniform(r, 0, 4 << 20);
      assertTrue(v >= 0 && v <= 4 << 20);
      zeros += v == 0 ? 1 : 0;
      small += v > 0 && v < 1024 ? 1 : 0;
      large += v >= 1 << 20 ? 1 : 0;
    }
    assertTrue(zeros > 100, "zeros " + zeros);
    assertTrue(small > 2000, "small " + small);
    assertTrue(large > 300, "large " + large);
    Payloads.Sizer s = Payloads.logUniform(1, 64, 9);
    for (int i = 0; i < 1000; i++) {
      int v = s.next();
      assertTrue(v >= 1 && v <= 64);
    }
  }

  @Test
  void seedHonoursProperty() {
    System.setProperty(Payloads.SEED_PROPERTY, "12345");
    try {
      assertEquals(12345L, Payloads.seed("test"));
    } finally {
      System.clearProperty(Payloads.SEED_PROPERTY);
    }
  }
}
