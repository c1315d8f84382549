/**
 * JMH benchmarks and end-to-end measurement tools for Hybrid Relay.
 *
 * <p>Everything here is built into {@code benchmarks/target/benchmarks.jar} (main class
 * {@code org.openjdk.jmh.Main}); list the benchmarks with {@code java -jar benchmarks.jar -l}. The
 * sub-packages hold the frame codec prototype ({@code codec}), the byte pump prototypes
 * ({@code pump}) and the loopback end-to-end tools used by {@code benchmarks/e2e.sh} ({@code e2e}).
 * Results are only meaningful as ratios against a baseline measured in the same run.
 */
package dev.hybridrelay.benchmarks;
