package dev.hybridrelay.forward;

/**
 * A connection that could not be forwarded, as reported to {@link ForwardEvents#onRefused}.
 *
 * @param hybridConnection the hybrid connection name
 * @param portName the logical port name involved (as configured or as asked by the sender)
 * @param peer the TCP client (local forwarder) or the sender as seen by the relay (remote forwarder), as text
 * @param message what went wrong and what to check, in one sentence; never contains secrets
 * @param cause the underlying exception, or {@code null}
 */
public record ForwardFailure(String hybridConnection, String portName, String peer, String message,
    Throwable cause) {}
