/**
 * Bounded byte pipes and the stream pump, the byte-moving core of a relay connection and of the
 * port forwarders, with the JMH benchmark {@link dev.hybridrelay.benchmarks.pump.PumpBenchmark}.
 */
package dev.hybridrelay.benchmarks.pump;
