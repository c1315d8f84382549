package dev.hybridrelay.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class RawWebSocketTest {

  @Test
  void encodesHeadersForHugeDeclaredLengths() {
    byte[] h = RawWebSocket.frameHeader(true, 0, RawWebSocket.OP_BINARY, null, Long.MAX_VALUE);
    assertEquals(10, h.length);
    assertEquals((byte) 0x82, h[0]);
    assertEquals((byte) 127, h[1]);
    assertEquals((byte) 0x7f, h[2]);
    for (int i = 3; i < 10; i++) {
      assertEquals((byte) 0xff, h[i]);
    }
    byte[] m = RawWebSocket.frameHeader(false, 0, RawWebSocket.OP_CONTINUATION, new byte[4],
        (1L << 31) - 2);
    assertEquals(14, m.length);
    assertEquals(0x00, m[0]);
    assertEquals((byte) 0xff, m[1]);
    assertEquals(0x7f, m[6]);
    assertEquals((byte) 0xfe, m[9]);
    assertEquals(2, RawWebSocket.frameHeader(true, 0, 1, null, 125).length);
    assertEquals(4, RawWebSocket.frameHeader(true, 0, 1, null, 126).length);
  }

  @Test
  void acceptValueMatchesRfcExample() {
    assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", RawWebSocket.acceptFor("dGhlIHNhbXBsZSBub25jZQ=="));
  }

  @Test
  void handshakeAndFramesAgainstAPlainSocketServer() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      CompletableFuture<byte[]> serverSide = CompletableFuture.supplyAsync(() -> {
        try (Socket s = server.accept()) {
          InputStream in = s.getInputStream();
          OutputStream out = s.getOutputStream();
          ByteArrayOutputStream head = new ByteArrayOutputStream();
          while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            head.write(in.read());
          }
          String req = head.toString(StandardCharsets.ISO_8859_1);
          String key = req.lines().filter(l -> l.startsWith("Sec-WebSocket-Key: ")).findFirst()
              .orElseThrow().substring(19);
          out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + RawWebSocket.acceptFor(key)
              + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
          // read one masked frame and unmask it
          DataInputStream d = new DataInputStream(in);
          int b0 = d.readUnsignedByte();
          int b1 = d.readUnsignedByte();
          byte[] mask = d.readNBytes(4);
          byte[] p = d.readNBytes(b1 & 0x7f);
          for (int i = 0; i < p.length; i++) {
            p[i] ^= mask[i & 3];
          }
          assertEquals(0x82, b0);
          // answer with an unmasked text frame and a close 1009
          out.write(new byte[] {(byte) 0x81, 2, 'h', 'i'});
          out.write(new byte[] {(byte) 0x88, 2, 0x03, (byte) 0xf1});
          out.flush();
          Thread.sleep(200);
          return p;
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      try (RawWebSocket ws = RawWebSocket.connect("127.0.0.1", server.getLocalPort(),
          Duration.ofSeconds(5))) {
        RawWebSocket.HandshakeResponse r = ws.handshake("/$hc/x?a=b", Map.of("X-Test", "1"));
        assertEquals(101, r.status());
        assertTrue(r.header("Sec-WebSocket-Accept") != null);
        ws.sendFrame(true, RawWebSocket.OP_BINARY, true, new byte[] {1, 2, 3});
        RawWebSocket.Frame f = ws.readFrame(Duration.ofSeconds(5));
        assertEquals(RawWebSocket.OP_TEXT, f.opcode());
        assertEquals("hi", f.text());
        RawWebSocket.CloseResult c = ws.awaitClose(Duration.ofSeconds(5));
        assertEquals(1009, c.closeCode());
      }
      assertArrayEquals(new byte[] {1, 2, 3}, serverSide.get(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void unterminatedHeadersStopWhenPeerCloses() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      CompletableFuture.runAsync(() -> {
        try (Socket s = server.accept()) {
          s.getInputStream().readNBytes(16 * 1024);
          s.setSoLinger(true, 0);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      try (RawWebSocket ws = RawWebSocket.connect("127.0.0.1", server.getLocalPort(),
          Duration.ofSeconds(5))) {
        long sent = ws.sendUnterminatedHeaders("/", 50L << 20, 0);
        assertTrue(sent >= 16 * 1024 && sent < 50L << 20, "sent " + sent);
      }
    }
  }
}
