package dev.hybridrelay.server.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict percent-decoding (RFC 3986) into UTF-8. Unlike {@link java.net.URLDecoder} it rejects
 * truncated or non-hex escapes and malformed UTF-8 instead of guessing.
 */
public final class PercentCodec {
  private PercentCodec() {}

  /**
   * Decodes {@code s}.
   *
   * @param plusAsSpace {@code true} for query components (form encoding: {@code +} is a space)
   * @throws IllegalArgumentException if an escape is malformed or the bytes are not UTF-8; the
   *     message never contains the input (it may be a secret)
   */
  public static String decode(String s, boolean plusAsSpace) {
    if (s.indexOf('%') < 0 && (!plusAsSpace || s.indexOf('+') < 0)) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new IllegalArgumentException("truncated percent-escape at index " + i);
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("invalid percent-escape at index " + i);
        }
        out.write((hi << 4) | lo);
        i += 2;
      } else if (c == '+' && plusAsSpace) {
        out.write(' ');
      } else if (c < 0x80) {
        out.write(c);
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.write(b, 0, b.length);
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("percent-escapes do not form UTF-8");
    }
  }

  /** Form-encodes a query component (space as {@code %20}, unreserved characters kept). */
  public static String encode(String s) {
    int i = 0;
    while (i < s.length() && unreserved(s.charAt(i))) {
      i++;
    }
    if (i == s.length()) {
      return s; // the usual case (tracking ids): nothing to encode
    }
    StringBuilder sb = new StringBuilder(s.length() + 8);
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      if (unreserved(c)) {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return sb.toString();
  }

  private static boolean unreserved(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '_' || c == '.' || c == '~';
  }
}
