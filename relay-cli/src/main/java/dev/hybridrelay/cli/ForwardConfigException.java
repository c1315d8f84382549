package dev.hybridrelay.cli;

/**
 * A usage or configuration error of {@code hybridrelay forward}: a bad {@code -L}/{@code -T} spec or
 * a bad configuration file entry. The message names the source (option or file, line and key) and
 * never contains a secret. Exit code 2.
 */
public class ForwardConfigException extends Exception {
  public ForwardConfigException(String message) {
    super(message);
  }
}
