package dev.hybridrelay.forward.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The byte-level parts of the non-blocking target client: where a head ends, chunked bodies. */
class AsyncTargetClientTest {
  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void headEndAcceptsCrlfAndBareLf() {
    byte[] a = ascii("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody");
    assertThat(AsyncTargetClient.headEnd(a, a.length)).isEqualTo(a.length - 4);
    byte[] b = ascii("HTTP/1.1 200 OK\nA: b\n\nbody");
    assertThat(AsyncTargetClient.headEnd(b, b.length)).isEqualTo(b.length - 4);
    byte[] c = ascii("HTTP/1.1 200 OK\r\nA: b\r\n\r");
    assertThat(AsyncTargetClient.headEnd(c, c.length)).isEqualTo(-1);
  }

  @Test
  void chunkedBodyWithExtensionsAndTrailers() throws IOException {
    byte[] a = ascii("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\nNEXT");
    AsyncTargetClient.Decoded d = AsyncTargetClient.dechunk(a, 0, a.length, 1024);
    assertThat(new String(d.body, 0, d.length, StandardCharsets.ISO_8859_1)).isEqualTo("hello world");
    assertThat(d.end).isEqualTo(a.length - 4);
  }

  @Test
  void incompleteChunkedBodyWaitsForMore() throws IOException {
    String full = "5\r\nhello\r\n0\r\n\r\n";
    for (int cut = 0; cut < full.length(); cut++) {
      byte[] a = ascii(full.substring(0, cut));
      assertThat(AsyncTargetClient.dechunk(a, 0, a.length, 1024)).as("cut at %d", cut).isNull();
    }
    byte[] a = ascii(full);
    assertThat(AsyncTargetClient.dechunk(a, 0, a.length, 1024).length).isEqualTo(5);
  }

  @Test
  void chunkedBodyOverTheLimitIsReportedNotBuffered() throws IOException {
    byte[] a = ascii("400\r\n");
    assertThat(AsyncTargetClient.dechunk(a, 0, a.length, 1023)).isSameAs(AsyncTargetClient.TOO_LONG);
  }

  @Test
  void malformedChunksAreErrors() {
    byte[] size = ascii("zz\r\nhello\r\n0\r\n\r\n");
    assertThatThrownBy(() -> AsyncTargetClient.dechunk(size, 0, size.length, 1024)).hasMessageContaining("chunk size");
    byte[] crlf = ascii("5\r\nhelloXX\r\n0\r\n\r\n");
    assertThatThrownBy(() -> AsyncTargetClient.dechunk(crlf, 0, crlf.length, 1024)).hasMessageContaining("malformed chunk");
  }
}
