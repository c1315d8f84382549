package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFilesTest {
  static final String SECRET = "Endpoint=sb://h.example/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0";

  @Test
  void plainValuesPassAndFilesAreReadTrimmed(@TempDir Path dir) throws Exception {
    assertThat(SecretFiles.valueOrFile("-x", SECRET)).isEqualTo(SECRET);
    assertThat(SecretFiles.valueOrFile("-x", null)).isNull();
    Path f = Files.writeString(dir.resolve("cs"), "\n  " + SECRET + "\r\n");
    assertThat(SecretFiles.valueOrFile("-x", "@" + f)).isEqualTo(SECRET);
  }

  @Test
  void errorsNameTheFileButNeverItsContent(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> SecretFiles.valueOrFile("-x", "@"))
        .hasMessage("-x: '@' must be followed by a file name");
    Path empty = Files.writeString(dir.resolve("empty"), " \n");
    assertThatThrownBy(() -> SecretFiles.valueOrFile("-x", "@" + empty)).hasMessage("-x: " + empty + " is empty");
    Path big = Files.writeString(dir.resolve("big"), SECRET.repeat(1 + SecretFiles.MAX_BYTES / SECRET.length()));
    assertThatThrownBy(() -> SecretFiles.valueOrFile("-x", "@" + big))
        .hasMessageContaining("larger than").hasMessageNotContaining("SharedAccessKey=");
    Path binary = Files.write(dir.resolve("binary"), new byte[] {'k', '=', (byte) 0xC3, (byte) 0x28});
    assertThatThrownBy(() -> SecretFiles.valueOrFile("-x", "@" + binary)).hasMessage("-x: " + binary + " is not UTF-8 text");
    assertThatThrownBy(() -> SecretFiles.read("--rule-file", dir)).hasMessageContaining("cannot read " + dir);
  }
}
