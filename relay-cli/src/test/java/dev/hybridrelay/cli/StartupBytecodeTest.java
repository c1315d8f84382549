package dev.hybridrelay.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The project's classes are compiled with {@code -XDstringConcat=inline} (root pom): string
 * concatenation becomes plain {@code StringBuilder} code instead of an {@code invokedynamic} call to
 * {@code StringConcatFactory}, whose first use of each shape spins method-handle classes at run time
 * (about 50 of them before a {@code forward -T} is online) that the class-data sharing archive cannot
 * hold. See the Performance page, "Cold start". This fails if the option is lost from the build.
 */
class StartupBytecodeTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "dev.hybridrelay.cli.ForwardCommand",
      "dev.hybridrelay.cli.ForwardSpecs",
      "dev.hybridrelay.core.internal.ListenerImpl",
      "dev.hybridrelay.core.internal.RelayWebSocket",
      "dev.hybridrelay.core.RelayConnectionString",
      "dev.hybridrelay.forward.RemoteForwarder",
      "dev.hybridrelay.forward.LocalForwarder",
      "dev.hybridrelay.server.LocalRelayServer"})
  void noIndyStringConcatenation(String className) throws IOException {
    String resource = className.replace('.', '/') + ".class";
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource)) {
      assertNotNull(in, "class file not on the test class path: " + resource);
      // the constant pool holds the bootstrap method's name as a UTF-8 entry when it is used
      String bytes = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertFalse(bytes.contains("makeConcatWithConstants"),
          className + " uses invokedynamic string concatenation: is -XDstringConcat=inline still in"
              + " the compiler arguments of the root pom?");
    }
  }
}
