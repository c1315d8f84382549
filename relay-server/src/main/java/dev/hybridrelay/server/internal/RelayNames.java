package dev.hybridrelay.server.internal;

import java.util.regex.Pattern;

/** Name rules of Azure Relay entities (resource name rules for Microsoft.Relay). */
public final class RelayNames {
  private static final Pattern HC = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,258}[A-Za-z0-9])?");
  private static final Pattern RULE = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,48}[A-Za-z0-9])?");

  private RelayNames() {}

  /** 1–260 characters: letters, digits, {@code . - _ /}; starts and ends alphanumeric; no {@code //}. */
  public static boolean isValidHybridConnectionName(String name) {
    return name != null && HC.matcher(name).matches() && !name.contains("//");
  }

  /** 1–50 characters: letters, digits, {@code . - _}; starts and ends alphanumeric. */
  public static boolean isValidRuleName(String name) {
    return name != null && RULE.matcher(name).matches();
  }
}
