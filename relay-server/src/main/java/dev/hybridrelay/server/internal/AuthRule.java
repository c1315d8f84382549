package dev.hybridrelay.server.internal;

import dev.hybridrelay.server.AccessRights;
import java.util.EnumSet;
import java.util.Set;

/**
 * A SAS authorization rule (namespace level or hybrid-connection level), or a static bearer token
 * accepted as is (a test stand-in for Entra ID tokens, see {@link #bearer}). The key is a secret.
 */
public final class AuthRule {
  /** The name of bearer-token entries; not a valid SAS rule name, so no {@code skn} can match it. */
  static final String BEARER_NAME = "(bearer)";

  private final String name;
  private final String key;
  private final Set<AccessRights> rights;
  private final boolean bearer;

  public AuthRule(String name, String key, Set<AccessRights> rights) {
    this(name, key, rights, false);
  }

  private AuthRule(String name, String key, Set<AccessRights> rights, boolean bearer) {
    this.name = name;
    this.key = key;
    this.rights = rights.isEmpty() ? EnumSet.noneOf(AccessRights.class) : EnumSet.copyOf(rights);
    this.bearer = bearer;
  }

  /**
   * A token accepted when a client sends exactly this text (no {@code Bearer} prefix, as the
   * service expects Entra ID tokens). Nothing in it is parsed or verified: it never expires.
   */
  public static AuthRule bearer(String token, Set<AccessRights> rights) {
    return new AuthRule(BEARER_NAME, token, rights, true);
  }

  /** Whether this is a static bearer token rather than a SAS rule. */
  public boolean isBearer() {
    return bearer;
  }

  public String name() {
    return name;
  }

  /** The key text. Never log it. */
  public String key() {
    return key;
  }

  public Set<AccessRights> rights() {
    return EnumSet.copyOf(rights.isEmpty() ? EnumSet.noneOf(AccessRights.class) : rights);
  }

  public boolean allows(AccessRights required) {
    for (AccessRights r : rights) {
      if (r.implies(required)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    // The key is deliberately left out.
    return bearer ? "AuthRule{bearer token, rights=" + rights + "}" : "AuthRule{name=" + name + ", rights=" + rights + "}";
  }
}
