package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.TokenProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/** Immutable sender settings, built by {@code RelaySender.Builder}. {@code tokenProvider} is null for anonymous. */
public record SenderConfig(
    RelayConnectionString connectionString,
    TokenProvider tokenProvider,
    Duration connectTimeout,
    Duration keepAliveInterval,
    String pathSuffix,
    Map<String, List<String>> query,
    Map<String, String> headers,
    List<String> subprotocols,
    int receiveWindow,
    int sendWindow,
    int maxMessageSize,
    int maxIncomingMessageSize,
    SSLContext sslContext,
    ProxyConfig proxy) {}
