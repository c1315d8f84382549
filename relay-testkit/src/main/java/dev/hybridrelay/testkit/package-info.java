/**
 * Test support shared by every module's tests: {@link dev.hybridrelay.testkit.FaultProxy} (an
 * in-JVM fault-injecting TCP proxy), {@link dev.hybridrelay.testkit.Payloads} (seeded payloads
 * with SHA-256), {@link dev.hybridrelay.testkit.ResourceBaseline} (thread, descriptor and heap
 * baselines) and {@link dev.hybridrelay.testkit.RawWebSocket} (a raw-frame WebSocket client for
 * bad-input tests) and {@link dev.hybridrelay.testkit.RawHttp} (an HTTP/1.1 response reader for
 * tests that drive a plain socket). Plain JDK, no dependencies.
 */
package dev.hybridrelay.testkit;
