package dev.hybridrelay.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import picocli.CommandLine.Option;

/**
 * {@code --metrics-port} and {@code --metrics-bind} of {@code serve} and {@code forward} (added with
 * {@code @Mixin}): a separate HTTP port with {@code /metrics}, {@code /healthz} and {@code /readyz}.
 * Off unless {@code --metrics-port} is given; loopback unless {@code --metrics-bind} says otherwise.
 */
final class MetricsOptions {
  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Serve Prometheus metrics at /metrics, and /healthz and /readyz, on this HTTP port "
          + "(0: an ephemeral port, logged; serve's /readyz?hc=NAME is ready only while a listener is registered "
          + "for NAME). Default: off.")
  Integer metricsPort;

  @Option(names = "--metrics-bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
      description = "Address of the metrics port (default: ${DEFAULT-VALUE}; the endpoints have no "
          + "authentication, bind beyond loopback only on a trusted network).")
  String metricsBind;

  boolean enabled() {
    return metricsPort != null;
  }

  /** Checks the values; the message says which option is wrong. */
  void validate() {
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      throw new IllegalArgumentException("--metrics-port must be 0..65535, but was " + metricsPort);
    }
    if (metricsPort != null) {
      bindAddress();
    }
  }

  InetAddress bindAddress() {
    try {
      return InetAddress.getByName(metricsBind);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--metrics-bind: unknown address '" + metricsBind + "'");
    }
  }

  /** A registry for the meters, or {@code null} when {@code --metrics-port} was not given. */
  PrometheusMeterRegistry newRegistry() {
    return enabled() ? MetricsEndpoint.newRegistry() : null;
  }

  /** Starts the endpoint over {@code registry}, or returns {@code null} when it is {@code null}. */
  MetricsEndpoint start(PrometheusMeterRegistry registry, MetricsEndpoint.Readiness readiness) throws IOException {
    if (registry == null) {
      return null;
    }
    return MetricsEndpoint.start(bindAddress(), metricsPort, registry, readiness);
  }
}
