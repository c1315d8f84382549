/**
 * azbridge-compatible port forwarding over hybrid connections: {@link dev.hybridrelay.forward.LocalForwarder}
 * (cloud side, {@code -L}) listens on a TCP port or a Unix domain socket file and forwards each
 * connection through the relay; {@link dev.hybridrelay.forward.RemoteForwarder} (edge side, {@code -T})
 * listens on a hybrid connection and connects each relayed connection to the configured
 * {@link dev.hybridrelay.forward.ForwardTarget} its port name selects. Both speak azbridge's connection
 * preamble, so either can pair with azbridge. {@link dev.hybridrelay.forward.HttpForwarder} (edge side,
 * {@code -H}) answers the hybrid connection's HTTP requests by forwarding them to a web service.
 *
 * <p>Every stream kind shares one non-blocking pump on the relay connection's I/O thread; what is
 * particular to a kind (binding, accepting, connecting) lives in its own internal class.
 */
package dev.hybridrelay.forward;
