/**
 * {@code java.net} drop-ins over a relay: {@link dev.hybridrelay.socket.RelaySocket} for
 * {@link java.net.Socket} and {@link dev.hybridrelay.socket.RelayServerSocket} for
 * {@link java.net.ServerSocket}, and {@link dev.hybridrelay.socket.RelaySocketFactory} /
 * {@link dev.hybridrelay.socket.RelayServerSocketFactory} for clients and servers that take a socket
 * factory (JDBC drivers, HTTP clients). Everything in {@code dev.hybridrelay.socket.internal} is
 * implementation and may change without notice.
 */
package dev.hybridrelay.socket;
