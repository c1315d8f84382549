package dev.hybridrelay.core.internal;

/** The {@code Relay-User-Agent} header value. */
final class UserAgent {
  static final String VALUE = "hybridrelay-java/" + version() + " (" + System.getProperty("os.name") + "; Java "
      + System.getProperty("java.version") + ")";

  private UserAgent() {}

  private static String version() {
    String v = UserAgent.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
