package dev.hybridrelay.forward.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden bytes of the azbridge preamble and reply (protocol reference §10). */
class PreambleTest {

  /** Records each write+flush as one message, as a relay connection sends them. */
  static final class MessageRecorder extends OutputStream {
    final List<byte[]> messages = new ArrayList<>();
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    @Override
    public void write(int b) {
      pending.write(b);
    }

    @Override
    public void flush() {
      if (pending.size() > 0) {
        messages.add(pending.toByteArray());
        pending.reset();
      }
    }
  }

  @Test
  void requestIsTwoMessagesHeaderThenUtf8Name() throws IOException {
    MessageRecorder out = new MessageRecorder();
    Preamble.writeRequest(out, Preamble.MODE_STREAM, "rdp");
    assertThat(out.messages).hasSize(2);
    assertThat(out.messages.get(0)).containsExactly(0x01, 0x00, 0x00, 0x03);
    assertThat(out.messages.get(1)).containsExactly('r', 'd', 'p');
  }

  @Test
  void numericDefaultNameAndNonAsciiName() throws IOException {
    MessageRecorder out = new MessageRecorder();
    Preamble.writeRequest(out, Preamble.MODE_STREAM, "3389");
    assertThat(out.messages.get(0)).containsExactly(1, 0, 0, 4);
    assertThat(out.messages.get(1)).containsExactly(0x33, 0x33, 0x38, 0x39);

    out = new MessageRecorder();
    Preamble.writeRequest(out, Preamble.MODE_STREAM, "ü");
    assertThat(out.messages.get(0)).containsExactly(1, 0, 0, 2);
    assertThat(out.messages.get(1)).containsExactly(0xC3, 0xBC);
  }

  @Test
  void datagramModeHeader() {
    assertThat(Preamble.header(Preamble.MODE_DATAGRAM, 3)).containsExactly(1, 0, 1, 3);
  }

  @Test
  void replyCodes() {
    assertThat(Preamble.okReply(0)).containsExactly(1, 0, 0);
    assertThat(Preamble.okReply(1)).containsExactly(1, 0, 1);
    assertThat(Preamble.REPLY_UNSUPPORTED_VERSION).containsExactly(0, 0, 0);
    assertThat(Preamble.REPLY_DATAGRAM_REQUIRED).containsExactly(0, 0, 1);
    assertThat(Preamble.REPLY_STREAM_REQUIRED).containsExactly(0, 0, 0xFF);
  }

  @Test
  void classifiesReplies() throws IOException {
    assertThat(read(new byte[] {1, 0, 0})).isEqualTo(Preamble.ReplyKind.OK);
    assertThat(read(new byte[] {0, 0, 0})).isEqualTo(Preamble.ReplyKind.UNSUPPORTED_VERSION);
    assertThat(read(new byte[] {0, 0, 1})).isEqualTo(Preamble.ReplyKind.DATAGRAM_REQUIRED);
    assertThat(read(new byte[] {0, 0, (byte) 255})).isEqualTo(Preamble.ReplyKind.STREAM_REQUIRED);
    assertThat(read(new byte[] {1, 0, 1})).as("OK for the other mode is not OK").isEqualTo(Preamble.ReplyKind.UNKNOWN);
    assertThat(read(new byte[] {1, 0})).isEqualTo(Preamble.ReplyKind.CLOSED_WITHOUT_REPLY);
    assertThat(read(new byte[0])).isEqualTo(Preamble.ReplyKind.CLOSED_WITHOUT_REPLY);
  }

  @Test
  void readsRequestsByteForByte() throws IOException {
    Preamble.Request r = Preamble.readRequest(new ByteArrayInputStream(new byte[] {1, 0, 0, 3, 's', 's', 'h'}));
    assertThat(r).isEqualTo(new Preamble.Request(1, 0, 0, "ssh"));
    assertThat(r.supported()).isTrue();

    Preamble.Request v2 = Preamble.readRequest(new ByteArrayInputStream(new byte[] {2, 0, 0}));
    assertThat(v2.supported()).isFalse();
    assertThat(v2.portName()).isNull();
    assertThat(Preamble.readRequest(new ByteArrayInputStream(new byte[] {1, 0, 7})).supported()).isFalse();
    assertThat(Preamble.readRequest(new ByteArrayInputStream(new byte[] {1, 0, 0, 3, 's'}))).isNull();
    assertThat(Preamble.readRequest(new ByteArrayInputStream(new byte[0]))).isNull();
  }

  @Test
  void portNameLimits() {
    byte[] max = new byte[255];
    Arrays.fill(max, (byte) 'a');
    assertThat(Preamble.portNameBytes(new String(max, java.nio.charset.StandardCharsets.US_ASCII))).hasSize(255);
    assertThatThrownBy(() -> Preamble.portNameBytes("a".repeat(256))).hasMessageContaining("at most 255");
    assertThatThrownBy(() -> Preamble.portNameBytes("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> Preamble.portNameBytes("a\nb")).hasMessageContaining("control");
  }

  private static Preamble.ReplyKind read(byte[] b) throws IOException {
    return Preamble.readReply(new ByteArrayInputStream(b), Preamble.MODE_STREAM);
  }
}
