package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.AcceptHandler;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayListenerEvents;
import dev.hybridrelay.core.TokenProvider;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/** Immutable listener settings, built by {@code RelayListener.Builder}. */
public record ListenerConfig(
    RelayConnectionString connectionString,
    TokenProvider tokenProvider,
    Duration operationTimeout,
    Duration keepAliveInterval,
    Duration tokenValidity,
    java.util.Map<String, List<String>> listenQuery,
    AcceptHandler acceptHandler,
    Consumer<RelayConnection> connectionHandler,
    List<RelayListenerEvents> events,
    int backlog,
    int receiveWindow,
    int sendWindow,
    int maxMessageSize,
    int maxIncomingMessageSize,
    SSLContext sslContext,
    Duration acceptDeadline,
    dev.hybridrelay.core.RelayRequestHandler requestHandler,
    int maxConcurrentRequests,
    ProxyConfig proxy) {}
