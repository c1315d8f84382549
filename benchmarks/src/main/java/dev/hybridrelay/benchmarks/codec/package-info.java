/**
 * Prototype of an allocation-free WebSocket binary frame codec with word-wide (8 bytes at a time)
 * masking, and the JMH benchmarks that compare it with Java-WebSocket's {@code Draft_6455}.
 *
 * <p>The prototype's decoder is not used by the library; it exists to measure whether an in-house
 * decoder is worth writing. Encoding and word-wide masking are measured through relay-core's
 * production {@code RelayDraft} / {@code FrameMasking}. See {@link dev.hybridrelay.benchmarks.codec.FrameCodecBenchmark}.
 */
package dev.hybridrelay.benchmarks.codec;
