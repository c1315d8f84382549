package dev.hybridrelay.server.internal;

import java.util.List;

/** A hybrid connection configured up front (name, client authorization flag, its own rules). */
public record HybridConnectionDefinition(
    String name, boolean requiresClientAuthorization, List<AuthRule> rules) {

  public HybridConnectionDefinition {
    rules = List.copyOf(rules);
  }
}
