/**
 * Loopback end-to-end tools used by {@code benchmarks/e2e.sh} and the in-process JMH benchmarks:
 * an NIO echo server, a plain blocking one-hop TCP proxy (the baseline), and a load client.
 * Each has a {@code main}; run them with {@code java -cp benchmarks/target/benchmarks.jar <class>}.
 */
package dev.hybridrelay.benchmarks.e2e;
