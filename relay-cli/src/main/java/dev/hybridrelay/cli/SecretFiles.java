package dev.hybridrelay.cli;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads secrets (connection strings, rule keys, tokens) from files, so that they need not appear on
 * a command line, where every local user can read them ({@code ps}). Made for systemd's
 * {@code LoadCredential=} ({@code -x @%d/connection-string}) and for mounted Kubernetes secrets.
 * Error messages name the file, never its content.
 */
final class SecretFiles {
  static final int MAX_BYTES = 64 * 1024;

  private SecretFiles() {}

  /** {@code value} itself, or the trimmed content of the file it names when it starts with {@code @}. */
  static String valueOrFile(String option, String value) {
    if (value == null || !value.startsWith("@")) {
      return value;
    }
    return read(option, Path.of(value.substring(1)));
  }

  /** The trimmed content of {@code file}. */
  static String read(String option, Path file) {
    if (file.toString().isEmpty()) {
      throw new IllegalArgumentException(option + ": '@' must be followed by a file name");
    }
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new IllegalArgumentException(option + ": " + file + " is larger than " + MAX_BYTES + " bytes; "
            + "it should hold one secret");
      }
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        throw new IllegalArgumentException(option + ": " + file + " is empty");
      }
      return text;
    } catch (MalformedInputException e) {
      throw new IllegalArgumentException(option + ": " + file + " is not UTF-8 text");
    } catch (IOException e) {
      throw new IllegalArgumentException(option + ": cannot read " + file + " (" + e.getClass().getSimpleName()
          + "); check the path and that this user may read it");
    }
  }
}
