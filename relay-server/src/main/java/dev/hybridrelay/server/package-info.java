/**
 * A local relay server emulating Azure Relay Hybrid Connections for development and tests.
 *
 * <p>Start with {@link dev.hybridrelay.server.LocalRelayServer#builder()}; in JUnit 5 tests use
 * {@link dev.hybridrelay.server.LocalRelayExtension}. {@link dev.hybridrelay.server.AccessRights}
 * names the rights of SAS rules. Everything in {@code dev.hybridrelay.server.internal} is
 * implementation and may change without notice.
 */
package dev.hybridrelay.server;
