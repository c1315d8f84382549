/**
 * The listener and sender roles of the Azure Relay Hybrid Connections protocol.
 *
 * <p>{@link dev.hybridrelay.core.RelayListener} keeps a control channel open and accepts relayed
 * connections (or answers HTTP requests through a {@link dev.hybridrelay.core.RelayRequestHandler});
 * {@link dev.hybridrelay.core.RelaySender} opens connections to a listener; both yield
 * {@link dev.hybridrelay.core.RelayConnection}s. {@link dev.hybridrelay.core.RelayConnectionString}
 * parses connection strings and {@link dev.hybridrelay.core.TokenProvider} supplies the tokens
 * ({@link dev.hybridrelay.core.SharedAccessSignatureTokenProvider} for SAS keys). Everything in
 * {@code dev.hybridrelay.core.internal} is implementation and may change without notice.
 */
package dev.hybridrelay.core;
