package dev.hybridrelay.server.internal;

import dev.hybridrelay.server.AccessRights;
import java.util.EnumSet;
import java.util.Set;

/** A SAS authorization rule (namespace level or hybrid-connection level). The key is a secret. */
public final class AuthRule {
  private final String name;
  private final String key;
  private final Set<AccessRights> rights;

  public AuthRule(String name, String key, Set<AccessRights> rights) {
    this.name = name;
    this.key = key;
    this.rights = rights.isEmpty() ? EnumSet.noneOf(AccessRights.class) : EnumSet.copyOf(rights);
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
    return "AuthRule{name=" + name + ", rights=" + rights + "}";
  }
}
